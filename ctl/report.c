/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report - "relayguardctl report": one self-contained HTML page for a
 * security team, from audit JSON-lines files (audit_file by default, or
 * each -f FILE, "-" for stdin; rotated files may be given together).
 *
 * Sections: summary by verdict; refusals over time as an inline SVG bar
 * chart (tempfail, reject, hold stacked per time bucket); top senders
 * (login, else envelope sender) with refusals; blocked subjects (limits
 * over their maximum, penalty-box signals, blocks and unblocks by
 * relayguardctl with their reasons); suspicious-login events
 * (stolen_credentials and spike signals); refusal reasons.  The page
 * loads nothing: inline CSS, inline SVG, no script, and a
 * Content-Security-Policy that forbids any fetch.  Every text from the
 * records is HTML-escaped, and bytes that are not UTF-8 are shown as
 * U+FFFD.
 *
 * A line that is not a JSON object (a crash mid-write, a copytruncate
 * race) is skipped and counted; the count is shown.  Exit: 0 written,
 * 1 no records in the period, 2 usage, 5 a file cannot be read or
 * written, 78 no audit_file and no -f.
 */
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "conf.h"
#include "ctl.h"
#include "json.h"
#include "str.h"
#include "xalloc.h"

const char *const rp_actions[RP_NACTIONS] = {
	"accept", "tempfail", "reject", "hold", "discard",
};

/* rp_grow - room for one more element in a growing array */
static void *
rp_grow(void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 64;
	return xreallocarray(arr, *cap, size);
}

/* rp_time - "2026-11-30T01:02:03.045Z" as seconds, 0 when not a time */
static time_t
rp_time(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL)
		return 0;
	return timegm(&tm);
}

/* rp_since - "--since" as an age (30m, 24h, 7d) or a UTC date/time */
static int
rp_since(const char *s, time_t *out)
{
	unsigned long n;
	char num[32];
	size_t len = strlen(s);
	unsigned long unit;

	if (len > 1 && len < sizeof(num) && strchr("smhd", s[len - 1])) {
		memcpy(num, s, len - 1);
		num[len - 1] = '\0';
		unit = s[len - 1] == 's' ? 1 : s[len - 1] == 'm' ? 60
			: s[len - 1] == 'h' ? 3600 : 86400;
		if (str_to_ulong(num, 10, 3650UL * 86400 / unit, &n) < 0)
			return -1;
		*out = time(NULL) - (time_t)(n * unit);
		return 0;
	}
	*out = rp_time(s);
	return *out > 0 ? 0 : -1;
}

/* rp_subject - the blocked-subject entry for s, made if new */
static struct rp_subject *
rp_subject(struct report *rp, const char *s, time_t t)
{
	int added;
	size_t *ix = strmap_add(&rp->subject_idx, s, rp->nsubjects, &added);
	struct rp_subject *sub;

	if (added) {
		rp->subjects = rp_grow(rp->subjects, rp->nsubjects,
				       &rp->csubjects, sizeof(*rp->subjects));
		sub = &rp->subjects[rp->nsubjects++];
		memset(sub, 0, sizeof(*sub));
		sub->first = t;
	}
	sub = &rp->subjects[*ix];
	sub->count++;
	if (t != 0 && (sub->first == 0 || t < sub->first))
		sub->first = t;
	if (t > sub->last)
		sub->last = t;
	return sub;
}

/* rp_why - add a reason to a subject's list once, while it fits */
static void
rp_why(struct rp_subject *sub, const char *why)
{
	size_t len = strlen(sub->why);

	if (strstr(sub->why, why) != NULL)
		return;
	if (len + strlen(why) + 3 < sizeof(sub->why))
		(void)snprintf(sub->why + len, sizeof(sub->why) - len, "%s%s",
			       len ? ", " : "", why);
}

/* rp_count_add - one more of name in a counting map */
static void
rp_count_add(struct report *rp, const char *name)
{
	int added;
	size_t *ix = strmap_add(&rp->reason_idx, name, rp->nreasons, &added);

	if (added) {
		rp->reasons = rp_grow(rp->reasons, rp->nreasons,
				      &rp->creasons, sizeof(*rp->reasons));
		rp->reasons[rp->nreasons].name = NULL;
		rp->reasons[rp->nreasons++].count = 0;
	}
	rp->reasons[*ix].count++;
}

/* rp_block_why - what a penalty-box signal says: a block or unblock by
 * relayguardctl (an event record, with its reason), or the penalty box */
static const char *
rp_block_why(const struct json_doc *d, const struct json_node *rec,
	     char *buf, size_t size)
{
	const char *ev = json_get_str(d, rec, "event");
	const char *reason = json_get_str(d, rec, "reason");

	if (strcmp(ev, "block") != 0 && strcmp(ev, "unblock") != 0)
		return "penalty box";
	(void)snprintf(buf, size, "%s by the administrator%s%.80s",
		       ev[0] == 'b' ? "blocked" : "unblocked",
		       reason[0] ? ": " : "", reason);
	return buf;
}

/* rp_signals - the signals of one record: penalty boxes and blocks make
 * blocked subjects, stolen credentials and spikes make login events */
static void
rp_signals(struct report *rp, const struct json_doc *d,
	   const struct json_node *rec, time_t t)
{
	const struct json_node *list = json_get(d, rec, "signals");
	const struct json_node *s;
	char why[128];

	for (s = json_child(d, list); s != NULL; s = json_next(d, s)) {
		const char *name = json_get_str(d, s, "name");
		const char *subject = json_get_str(d, s, "subject");
		struct rp_event *ev;

		if (strcmp(name, AUDIT_SIGNAL_PENALTY_BOX) == 0) {
			rp_why(rp_subject(rp, subject[0] ? subject : "?", t),
			       rp_block_why(d, rec, why, sizeof(why)));
			continue;
		}
		if (strcmp(name, AUDIT_SIGNAL_STOLEN_CREDENTIALS) != 0 &&
		    strcmp(name, AUDIT_SIGNAL_SPIKE) != 0)
			continue;
		rp->events = rp_grow(rp->events, rp->nevents, &rp->cevents,
				     sizeof(*rp->events));
		ev = &rp->events[rp->nevents++];
		ev->t = t;
		ev->subject = xstrdup(subject);
		ev->signal = xstrdup(name);
		ev->action = xstrdup(json_get_str(d, s, "action"));
		ev->client = xstrdup(json_get_str(d, rec, "client_addr"));
		ev->dry_run = json_get(d, s, "dry_run") != NULL &&
			      json_get(d, s, "dry_run")->type == JSON_TRUE;
	}
}

/* rp_limits - limits over their maximum make blocked subjects */
static void
rp_limits(struct report *rp, const struct json_doc *d,
	  const struct json_node *rec, time_t t)
{
	const struct json_node *list = json_get(d, rec, "limits");
	const struct json_node *l;

	for (l = json_child(d, list); l != NULL; l = json_next(d, l)) {
		const struct json_node *over = json_get(d, l, "over");
		const char *subject = json_get_str(d, l, "subject");
		char why[120];

		if (over == NULL || over->type != JSON_TRUE)
			continue;
		(void)snprintf(why, sizeof(why), "limit %.60s",
			       json_get_str(d, l, "name"));
		rp_why(rp_subject(rp, subject[0] ? subject : "?", t), why);
	}
}

/* rp_decision - counts for one decision record */
static void
rp_decision(struct report *rp, const struct json_doc *d,
	    const struct json_node *rec, time_t t)
{
	const char *action = json_get_str(d, rec, "action");
	const char *login = json_get_str(d, rec, "login");
	char key[600];
	struct rp_sender *s;
	size_t *ix;
	size_t a;
	int added;
	int kind = -1;

	for (a = 0; a < RP_NACTIONS; a++)
		if (strcmp(action, rp_actions[a]) == 0)
			break;
	rp->by_action[a]++;
	if (login[0] != '\0')
		(void)snprintf(key, sizeof(key), "login %s", login);
	else
		(void)snprintf(key, sizeof(key), "<%s>",
			       json_get_str(d, rec, "sender"));
	ix = strmap_add(&rp->sender_idx, key, rp->nsenders, &added);
	if (added) {
		rp->senders = rp_grow(rp->senders, rp->nsenders,
				      &rp->csenders, sizeof(*rp->senders));
		memset(&rp->senders[rp->nsenders++], 0, sizeof(*s));
	}
	s = &rp->senders[*ix];
	s->msgs++;
	s->rcpts += (unsigned long)json_get_num(d, rec, "recipients", 0);
	if (strcmp(action, "tempfail") == 0)
		kind = RP_TEMPFAIL;
	else if (strcmp(action, "reject") == 0 ||
		 strcmp(action, "discard") == 0)
		kind = RP_REJECT;
	else if (strcmp(action, "hold") == 0)
		kind = RP_HOLD;
	if (kind == RP_HOLD)
		s->held++;
	else if (kind >= 0)
		s->refused++;
	if (kind < 0)
		return;
	rp_count_add(rp, json_get_str(d, rec, "reason")[0]
				 ? json_get_str(d, rec, "reason")
				 : "(none)");
	if (t == 0)
		return;
	rp->refusals = rp_grow(rp->refusals, rp->nrefusals, &rp->crefusals,
			       sizeof(*rp->refusals));
	rp->refusals[rp->nrefusals].t = t;
	rp->refusals[rp->nrefusals++].kind = kind;
}

/* rp_line - one line of an audit file */
static void
rp_line(struct report *rp, const char *line, size_t len)
{
	const struct json_node *rec;
	struct json_doc d;
	struct err e;
	time_t t;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0)
		return;
	if (json_parse(line, len, &d, &e) < 0) {
		rp->malformed++;
		return;
	}
	rec = json_root(&d);
	if (rec->type != JSON_OBJECT) {
		rp->malformed++;
		json_doc_free(&d);
		return;
	}
	t = rp_time(json_get_str(&d, rec, "time"));
	if (rp->since != 0 && t < rp->since) {
		json_doc_free(&d);
		return;
	}
	rp->records++;
	if (t != 0 && (rp->first == 0 || t < rp->first))
		rp->first = t;
	if (t > rp->last)
		rp->last = t;
	if (strcmp(json_get_str(&d, rec, "type"), "event") == 0)
		rp->events_seen++;
	else
		rp_decision(rp, &d, rec, t);
	rp_limits(rp, &d, rec, t);
	rp_signals(rp, &d, rec, t);
	json_doc_free(&d);
}

/* report_read - every line of one file ("-": stdin); CTL_* */
int
report_read(struct report *rp, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = CTL_OK;

	if (fp == NULL) {
		ctl_error("report: %s: %s", path, strerror(errno));
		return CTL_ERROR;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		if ((size_t)n > AUDIT_LINE_MAX)	/* not one of ours */
			rp->malformed++;
		else
			rp_line(rp, line, (size_t)n);
	}
	if (ferror(fp)) {
		ctl_error("report: %s: read error", path);
		rc = CTL_ERROR;
	}
	free(line);
	if (fp != stdin)
		(void)fclose(fp);	/* read-only */
	return rc;
}

/* rp_cmp_sender - most messages first, then most refused, then name */
static int
rp_cmp_sender(const void *a, const void *b)
{
	const struct rp_sender *x = a;
	const struct rp_sender *y = b;

	if (x->msgs != y->msgs)
		return x->msgs > y->msgs ? -1 : 1;
	if (x->refused != y->refused)
		return x->refused > y->refused ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* rp_cmp_subject - most refusals first, then name */
static int
rp_cmp_subject(const void *a, const void *b)
{
	const struct rp_subject *x = a;
	const struct rp_subject *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->subject, y->subject);
}

/* rp_cmp_count - largest count first, then name */
static int
rp_cmp_count(const void *a, const void *b)
{
	const struct rp_count *x = a;
	const struct rp_count *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* rp_cmp_event - newest first */
static int
rp_cmp_event(const void *a, const void *b)
{
	const struct rp_event *x = a;
	const struct rp_event *y = b;

	return x->t > y->t ? -1 : x->t < y->t ? 1 : 0;
}

/* rp_names - point each entry at its key in the map (keys are owned by
 * the maps; entries were made before the key pointers were stable) */
static void
rp_names(struct report *rp)
{
	size_t i;

	for (i = 0; i < rp->sender_idx.cap; i++)
		if (rp->sender_idx.keys[i] != NULL)
			rp->senders[rp->sender_idx.vals[i]].key =
				rp->sender_idx.keys[i];
	for (i = 0; i < rp->subject_idx.cap; i++)
		if (rp->subject_idx.keys[i] != NULL)
			rp->subjects[rp->subject_idx.vals[i]].subject =
				rp->subject_idx.keys[i];
	for (i = 0; i < rp->reason_idx.cap; i++)
		if (rp->reason_idx.keys[i] != NULL)
			rp->reasons[rp->reason_idx.vals[i]].name =
				rp->reason_idx.keys[i];
}


/* report_init - nothing counted yet */
void
report_init(struct report *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->top = 20;
	strmap_init(&rp->sender_idx);
	strmap_init(&rp->subject_idx);
	strmap_init(&rp->reason_idx);
}

/* report_finish - names in place, every list sorted for output */
void
report_finish(struct report *rp)
{
	rp_names(rp);
	if (rp->nsenders > 0)
		qsort(rp->senders, rp->nsenders, sizeof(*rp->senders),
		      rp_cmp_sender);
	if (rp->nsubjects > 0)
		qsort(rp->subjects, rp->nsubjects, sizeof(*rp->subjects),
		      rp_cmp_subject);
	if (rp->nreasons > 0)
		qsort(rp->reasons, rp->nreasons, sizeof(*rp->reasons),
		      rp_cmp_count);
	if (rp->nevents > 0)
		qsort(rp->events, rp->nevents, sizeof(*rp->events),
		      rp_cmp_event);
}

/* report_free - release everything */
void
report_free(struct report *rp)
{
	size_t i;

	for (i = 0; i < rp->nevents; i++) {
		free(rp->events[i].subject);
		free(rp->events[i].signal);
		free(rp->events[i].action);
		free(rp->events[i].client);
	}
	free(rp->events);
	free(rp->senders);
	free(rp->subjects);
	free(rp->reasons);
	free(rp->refusals);
	strmap_free(&rp->sender_idx);
	strmap_free(&rp->subject_idx);
	strmap_free(&rp->reason_idx);
}

/* report_args - the command's options */
static int
report_args(struct report *rp, int argc, char **argv, const char **files,
	    size_t *nfiles, const char **out)
{
	static const struct option lo[] = {
		{"output", required_argument, NULL, 'o'},
		{"file", required_argument, NULL, 'f'},
		{"since", required_argument, NULL, 's'},
		{"top", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "o:f:s:t:", lo, NULL)) != -1) {
		switch (ch) {
		case 'o':
			*out = optarg;
			break;
		case 'f':
			if (*nfiles == RP_FILES_MAX) {
				ctl_error("report: at most %d files",
					  RP_FILES_MAX);
				return CTL_USAGE;
			}
			files[(*nfiles)++] = optarg;
			break;
		case 's':
			if (rp_since(optarg, &rp->since) < 0) {
				ctl_error("report: --since %s: give an age "
					  "(30m, 24h, 7d) or a UTC date "
					  "(2026-11-30 or 2026-11-30T08:00:00)",
					  optarg);
				return CTL_USAGE;
			}
			break;
		case 't':
			if (str_to_ulong(optarg, 10, 1000, &rp->top) < 0 ||
			    rp->top == 0) {
				ctl_error("report: --top takes 1 to 1000");
				return CTL_USAGE;
			}
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind != argc) {
		ctl_error("report: unexpected argument %s (files go with -f)",
			  argv[optind]);
		return CTL_USAGE;
	}
	return CTL_OK;
}

/* ctl_report - the report command */
int
ctl_report(struct ctl *c, int argc, char **argv)
{
	const char *files[RP_FILES_MAX];
	size_t nfiles = 0;
	const char *out = NULL;
	struct conf *cf = NULL;
	struct report rp;
	FILE *fp;
	size_t i;
	int rc;

	report_init(&rp);
	rc = report_args(&rp, argc, argv, files, &nfiles, &out);
	if (rc == CTL_OK && nfiles == 0) {
		rc = ctl_load_conf(c, &cf);
		if (rc == CTL_OK && cf->audit_file[0] == '\0') {
			ctl_error("report: %s sets no audit_file: name the "
				  "file with -f", c->conf_path);
			rc = CTL_CONFIG;
		}
		if (rc == CTL_OK)
			files[nfiles++] = cf->audit_file;
	}
	for (i = 0; rc == CTL_OK && i < nfiles; i++)
		rc = report_read(&rp, files[i]);
	if (rc == CTL_OK && rp.records == 0) {
		ctl_error("report: no audit records%s (%lu lines skipped)",
			  rp.since ? " in that period" : "", rp.malformed);
		rc = CTL_NEGATIVE;
	}
	if (rc != CTL_OK)
		goto done;
	report_finish(&rp);
	fp = out != NULL ? fopen(out, "w") : c->out;
	if (fp == NULL) {
		ctl_error("report: %s: %s", out, strerror(errno));
		rc = CTL_ERROR;
		goto done;
	}
	report_html(&rp, fp, files, nfiles);
	if ((out != NULL ? fclose(fp) : fflush(fp)) != 0) {
		ctl_error("report: %s: write failed", out ? out : "stdout");
		rc = CTL_ERROR;
	}
	if (rp.malformed > 0)
		ctl_error("report: %lu line%s skipped: not %s", rp.malformed,
			  rp.malformed == 1 ? "" : "s",
			  rp.malformed == 1 ? "an audit record" : "audit records");
done:
	report_free(&rp);
	conf_free(cf);
	return rc;
}
