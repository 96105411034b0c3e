/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_html - the report as one HTML page with an inline SVG chart (see
 * report.c).  Element ids are stable (the tests and anyone scraping the
 * page rely on them): #period, #summary-table, #refusal-chart,
 * #refusal-data, #top-senders, #blocked-subjects, #login-events,
 * #refusal-reasons.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "str.h"
#include "xalloc.h"

#define CHART_W 760
#define CHART_H 260
#define CHART_ML 48	/* margins: room for the axis labels */
#define CHART_MR 12
#define CHART_MT 12
#define CHART_MB 48

static const char *const rp_kind_name[RP_NKINDS] = {
	"tempfail", "reject", "hold",
};

/* h - text into HTML: escaped; invalid UTF-8 and controls as U+FFFD */
static void
h(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	size_t i = 0;

	while (i < len) {
		size_t n = json_utf8_len(p + i, len - i);

		if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			fputs("\xef\xbf\xbd", fp);
			i++;
			continue;
		}
		switch (p[i]) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			fwrite(p + i, 1, n, fp);
			break;
		}
		i += n;
	}
}

enum rp_fmt { RP_MINUTE, RP_ISO, RP_DAY, RP_SHORT };

/* rp_when - seconds (UTC) as text in one of four forms, "-" for none:
 * 2026-11-30 01:02, 2026-11-30T01:02Z, 2026-11-30, 11-30 01:02 */
static const char *
rp_when(time_t t, enum rp_fmt f, char *buf, size_t size)
{
	struct tm tm;
	size_t n = 0;

	if (t != 0 && gmtime_r(&t, &tm) != NULL) {
		switch (f) {
		case RP_MINUTE:
			n = strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
			break;
		case RP_ISO:
			n = strftime(buf, size, "%Y-%m-%dT%H:%MZ", &tm);
			break;
		case RP_DAY:
			n = strftime(buf, size, "%Y-%m-%d", &tm);
			break;
		case RP_SHORT:
			n = strftime(buf, size, "%m-%d %H:%M", &tm);
			break;
		}
	}
	if (n == 0)
		(void)str_copy(buf, size, "-");
	return buf;
}

/* rp_head - document head, style, title, period line */
static void
rp_head(const struct report *rp, FILE *fp, const char *const *files,
	size_t nfiles)
{
	char a[32];
	char b[32];
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\""
	      "default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n",
	      fp);
	fprintf(fp, "<title>relayguard report %s to %s UTC</title>\n",
		rp_when(rp->first, RP_MINUTE, a, sizeof(a)),
		rp_when(rp->last, RP_MINUTE, b, sizeof(b)));
	fputs("<style>\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\n"
	      "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;"
	      "border-bottom:1px solid #ccc}\n"
	      "table{border-collapse:collapse}td,th{padding:.2em .8em;"
	      "text-align:left;border-bottom:1px solid #eee}\n"
	      "th{background:#f4f4f4}td.num,th.num{text-align:right;"
	      "font-variant-numeric:tabular-nums}\n"
	      "tr:nth-child(even) td{background:#fafafa}\n"
	      ".none{color:#666;font-style:italic}\n"
	      ".key{display:inline-block;width:.9em;height:.9em;"
	      "margin:0 .3em 0 1em;vertical-align:middle}\n"
	      ".tempfail{fill:#d98c00;background:#d98c00}"
	      ".reject{fill:#c0392b;background:#c0392b}"
	      ".hold{fill:#7d3c98;background:#7d3c98}\n"
	      "svg text{font:11px system-ui,sans-serif;fill:#444}"
	      ".axis{stroke:#888}.grid{stroke:#e4e4e4}\n"
	      "</style>\n</head>\n<body>\n"
	      "<h1>relayguard security report</h1>\n<p id=\"period\">", fp);
	fprintf(fp, "From %s to %s UTC: %lu record%s from ",
		rp_when(rp->first, RP_MINUTE, a, sizeof(a)),
		rp_when(rp->last, RP_MINUTE, b, sizeof(b)),
		rp->records, rp->records == 1 ? "" : "s");
	for (i = 0; i < nfiles; i++) {
		fputs(i ? ", <code>" : "<code>", fp);
		h(fp, strcmp(files[i], "-") == 0 ? "standard input"
						 : files[i]);
		fputs("</code>", fp);
	}
	fputs(".</p>\n", fp);
	if (rp->malformed > 0)
		fprintf(fp, "<p id=\"skipped\">%lu line%s skipped: not %s."
			    "</p>\n", rp->malformed, rp->malformed == 1 ? "" : "s",
			rp->malformed == 1 ? "an audit record" : "audit records");
}

/* rp_summary - decisions by verdict */
static void
rp_summary(const struct report *rp, FILE *fp)
{
	size_t i;

	fputs("<section id=\"summary\">\n<h2>Summary</h2>\n"
	      "<table id=\"summary-table\">\n<tr><th>verdict</th>"
	      "<th class=\"num\">messages</th></tr>\n", fp);
	for (i = 0; i <= RP_NACTIONS; i++) {
		if (rp->by_action[i] == 0)
			continue;
		fprintf(fp, "<tr><td>%s</td><td class=\"num\">%lu</td></tr>\n",
			i < RP_NACTIONS ? rp_actions[i] : "other",
			rp->by_action[i]);
	}
	if (rp->events_seen > 0)
		fprintf(fp, "<tr><td>events</td><td class=\"num\">%lu</td>"
			    "</tr>\n", rp->events_seen);
	fputs("</table>\n</section>\n", fp);
}

/* rp_bucket_size - seconds per bar: the smallest that keeps the chart
 * within RP_BUCKETS_MAX bars */
static time_t
rp_bucket_size(time_t first, time_t last)
{
	static const time_t sizes[] = {
		60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
		86400, 7 * 86400, 28 * 86400,
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if ((last / sizes[i] - first / sizes[i]) + 1 <= RP_BUCKETS_MAX)
			return sizes[i];
	return (last - first) / (RP_BUCKETS_MAX - 1) + 1;
}

/* rp_nice - the smallest of 1, 2, 5 times a power of ten that is >= n */
static unsigned long
rp_nice(unsigned long n)
{
	unsigned long p = 1;

	for (;;) {
		if (n <= p)
			return p;
		if (n <= 2 * p)
			return 2 * p;
		if (n <= 5 * p)
			return 5 * p;
		p *= 10;
	}
}

/* rp_chart_axes - grid lines, y labels and three x labels */
static void
rp_chart_axes(FILE *fp, unsigned long ymax, time_t start, time_t size,
	      size_t nb)
{
	const double pw = CHART_W - CHART_ML - CHART_MR;
	const double ph = CHART_H - CHART_MT - CHART_MB;
	const size_t at[3] = {0, nb / 2, nb - 1};
	char when[32];
	size_t i;

	for (i = 0; i <= 2; i++) {
		double y = CHART_MT + ph - ph * (double)i / 2;

		fprintf(fp, "<line class=\"%s\" x1=\"%d\" y1=\"%.1f\" "
			    "x2=\"%d\" y2=\"%.1f\"/>\n", i ? "grid" : "axis",
			CHART_ML, y, CHART_W - CHART_MR, y);
		fprintf(fp, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">"
			    "%lu</text>\n", CHART_ML - 6, y + 4,
			ymax * i / 2);
	}
	/* the first label starts at its bar, the last ends at its bar, so
	 * neither is cut at the edge of the picture */
	for (i = 0; i < 3 && (i == 0 || at[i] != at[i - 1]); i++) {
		double x = CHART_ML + pw * ((double)at[i] + (i == 0 ? 0 :
				i == 2 ? 1 : 0.5)) / (double)nb;

		fprintf(fp, "<text class=\"xlabel\" x=\"%.1f\" y=\"%d\" "
			    "text-anchor=\"%s\">%s</text>\n", x,
			CHART_H - CHART_MB + 18,
			i == 0 ? "start" : i == 2 ? "end" : "middle",
			rp_when(start + (time_t)at[i] * size,
				size >= 86400 ? RP_DAY : RP_SHORT,
				when, sizeof(when)));
	}
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">UTC, "
		    "one bar per %ld minute%s</text>\n",
		CHART_ML + (int)pw / 2, CHART_H - 8, (long)(size / 60),
		size == 60 ? "" : "s");
}

/* rp_chart_bars - one stacked bar per bucket, one rect per kind */
static void
rp_chart_bars(FILE *fp, unsigned long (*counts)[RP_NKINDS], size_t nb,
	      unsigned long ymax, time_t start, time_t size)
{
	const double pw = CHART_W - CHART_ML - CHART_MR;
	const double ph = CHART_H - CHART_MT - CHART_MB;
	double bw = pw / (double)nb;
	double gap = bw > 4 ? 1 : 0;
	char when[32];
	size_t i;
	int k;

	for (i = 0; i < nb; i++) {
		double y = CHART_MT + ph;

		rp_when(start + (time_t)i * size, RP_ISO, when,
			sizeof(when));
		for (k = 0; k < RP_NKINDS; k++) {
			double hgt;

			if (counts[i][k] == 0)
				continue;
			hgt = ph * (double)counts[i][k] / (double)ymax;
			y -= hgt;
			fprintf(fp, "<rect class=\"bar %s\" data-bucket=\"%s\" "
				    "data-count=\"%lu\" x=\"%.1f\" y=\"%.1f\" "
				    "width=\"%.1f\" height=\"%.1f\"><title>%s: "
				    "%lu %s</title></rect>\n", rp_kind_name[k],
				when, counts[i][k],
				CHART_ML + bw * (double)i + gap / 2, y,
				bw - gap, hgt, when, counts[i][k],
				rp_kind_name[k]);
		}
	}
}

/* rp_chart - refusals over time: SVG bars and the same numbers in a
 * table for those who cannot see the chart */
static void
rp_chart(const struct report *rp, FILE *fp)
{
	unsigned long (*counts)[RP_NKINDS];
	unsigned long ymax = 0;
	time_t size;
	time_t start;
	size_t nb;
	size_t i;
	char when[32];
	int k;

	fputs("<section id=\"refusals\">\n<h2>Refusals over time</h2>\n", fp);
	if (rp->nrefusals == 0 || rp->first == 0) {
		fputs("<p class=\"none\">No refusals in this period.</p>\n"
		      "</section>\n", fp);
		return;
	}
	size = rp_bucket_size(rp->first, rp->last);
	start = rp->first / size * size;
	nb = (size_t)((rp->last / size * size - start) / size) + 1;
	counts = xcalloc(nb, sizeof(*counts));
	for (i = 0; i < rp->nrefusals; i++)
		counts[(rp->refusals[i].t / size * size - start) / size]
		      [rp->refusals[i].kind]++;
	for (i = 0; i < nb; i++) {
		unsigned long sum = 0;

		for (k = 0; k < RP_NKINDS; k++)
			sum += counts[i][k];
		if (sum > ymax)
			ymax = sum;
	}
	ymax = rp_nice(ymax);
	fprintf(fp, "<svg id=\"refusal-chart\" xmlns=\"http://www.w3.org/2000/"
		    "svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		    "role=\"img\" aria-label=\"Refused messages per time "
		    "interval\">\n", CHART_W, CHART_H, CHART_W, CHART_H);
	rp_chart_axes(fp, ymax, start, size, nb);
	rp_chart_bars(fp, counts, nb, ymax, start, size);
	fputs("</svg>\n<p class=\"legend\">", fp);
	for (k = 0; k < RP_NKINDS; k++)
		fprintf(fp, "<span class=\"key %s\"></span>%s", rp_kind_name[k],
			rp_kind_name[k]);
	fputs("</p>\n<details><summary>The numbers</summary>\n"
	      "<table id=\"refusal-data\">\n<tr><th>from (UTC)</th>"
	      "<th class=\"num\">tempfail</th><th class=\"num\">reject</th>"
	      "<th class=\"num\">hold</th></tr>\n", fp);
	for (i = 0; i < nb; i++) {
		if (counts[i][0] + counts[i][1] + counts[i][2] == 0)
			continue;
		fprintf(fp, "<tr><td>%s</td><td class=\"num\">%lu</td>"
			    "<td class=\"num\">%lu</td><td class=\"num\">%lu"
			    "</td></tr>\n",
			rp_when(start + (time_t)i * size, RP_MINUTE,
				when, sizeof(when)),
			counts[i][0], counts[i][1], counts[i][2]);
	}
	fputs("</table>\n</details>\n</section>\n", fp);
	free(counts);
}

/* rp_senders - the busiest senders */
static void
rp_senders(const struct report *rp, FILE *fp)
{
	size_t i;

	fputs("<section id=\"senders\">\n<h2>Top senders</h2>\n", fp);
	if (rp->nsenders == 0) {
		fputs("<p class=\"none\">No decisions in this period.</p>\n"
		      "</section>\n", fp);
		return;
	}
	fputs("<table id=\"top-senders\">\n<tr><th>sender</th>"
	      "<th class=\"num\">messages</th><th class=\"num\">recipients"
	      "</th><th class=\"num\">refused</th><th class=\"num\">held</th>"
	      "<th class=\"num\">refused %</th></tr>\n", fp);
	for (i = 0; i < rp->nsenders && i < rp->top; i++) {
		const struct rp_sender *s = &rp->senders[i];

		fputs("<tr><td class=\"sender\">", fp);
		h(fp, s->key);
		fprintf(fp, "</td><td class=\"num\">%lu</td><td class=\"num\">"
			    "%lu</td><td class=\"num\">%lu</td><td class="
			    "\"num\">%lu</td><td class=\"num\">%lu</td></tr>\n",
			s->msgs, s->rcpts, s->refused, s->held,
			s->msgs ? s->refused * 100 / s->msgs : 0);
	}
	fputs("</table>\n</section>\n", fp);
}

/* rp_blocked - subjects over a limit or in the penalty box */
static void
rp_blocked(const struct report *rp, FILE *fp)
{
	char a[32];
	char b[32];
	size_t i;

	fputs("<section id=\"blocked\">\n<h2>Blocked subjects</h2>\n", fp);
	if (rp->nsubjects == 0) {
		fputs("<p class=\"none\">No subject went over a limit or into "
		      "the penalty box.</p>\n</section>\n", fp);
		return;
	}
	fputs("<table id=\"blocked-subjects\">\n<tr><th>subject</th>"
	      "<th class=\"num\">times</th><th>first</th><th>last</th>"
	      "<th>why</th></tr>\n", fp);
	for (i = 0; i < rp->nsubjects && i < RP_SUBJECTS_SHOWN; i++) {
		const struct rp_subject *s = &rp->subjects[i];

		fputs("<tr><td class=\"subject\">", fp);
		h(fp, s->subject);
		fprintf(fp, "</td><td class=\"num\">%lu</td><td>%s</td>"
			    "<td>%s</td><td>", s->count,
			rp_when(s->first, RP_MINUTE, a, sizeof(a)),
			rp_when(s->last, RP_MINUTE, b, sizeof(b)));
		h(fp, s->why);
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n</section>\n", fp);
}

/* rp_logins - stolen-credential and spike signals, newest first */
static void
rp_logins(const struct report *rp, FILE *fp)
{
	char a[32];
	size_t i;

	fputs("<section id=\"logins\">\n<h2>Suspicious-login events</h2>\n",
	      fp);
	if (rp->nevents == 0) {
		fputs("<p class=\"none\">No stolen-credential or spike "
		      "signals.</p>\n</section>\n", fp);
		return;
	}
	fputs("<table id=\"login-events\">\n<tr><th>time (UTC)</th>"
	      "<th>subject</th><th>signal</th><th>action</th><th>client</th>"
	      "</tr>\n", fp);
	for (i = 0; i < rp->nevents && i < RP_EVENTS_SHOWN; i++) {
		const struct rp_event *ev = &rp->events[i];

		fprintf(fp, "<tr><td>%s</td><td class=\"subject\">",
			rp_when(ev->t, RP_MINUTE, a, sizeof(a)));
		h(fp, ev->subject);
		fputs("</td><td>", fp);
		h(fp, ev->signal);
		fputs("</td><td>", fp);
		h(fp, ev->action);
		fputs(ev->dry_run ? " (dry run)</td><td>" : "</td><td>", fp);
		h(fp, ev->client);
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n</section>\n", fp);
}

/* rp_reasons - why mail was refused, most frequent first */
static void
rp_reasons(const struct report *rp, FILE *fp)
{
	size_t i;

	fputs("<section id=\"reasons\">\n<h2>Refusal reasons</h2>\n", fp);
	if (rp->nreasons == 0) {
		fputs("<p class=\"none\">Nothing was refused.</p>\n"
		      "</section>\n", fp);
		return;
	}
	fputs("<table id=\"refusal-reasons\">\n<tr><th>reason</th>"
	      "<th class=\"num\">messages</th></tr>\n", fp);
	for (i = 0; i < rp->nreasons; i++) {
		fputs("<tr><td>", fp);
		h(fp, rp->reasons[i].name);
		fprintf(fp, "</td><td class=\"num\">%lu</td></tr>\n",
			rp->reasons[i].count);
	}
	fputs("</table>\n</section>\n", fp);
}

/* report_html - the whole page */
void
report_html(struct report *rp, FILE *fp, const char *const *files,
	    size_t nfiles)
{
	char now[32];

	rp_head(rp, fp, files, nfiles);
	rp_summary(rp, fp);
	rp_chart(rp, fp);
	rp_senders(rp, fp);
	rp_blocked(rp, fp);
	rp_logins(rp, fp);
	rp_reasons(rp, fp);
	fprintf(fp, "<footer><p>Made by relayguardctl report at %s UTC."
		    "</p></footer>\n</body>\n</html>\n",
		rp_when(time(NULL), RP_MINUTE, now, sizeof(now)));
}
