/* SPDX-License-Identifier: BSD-2-Clause */
#include "limit_redis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rconn.h"
#include "store.h"
#include "str.h"
#include "xalloc.h"

#define LR_ARENA (96 * 1024)
#define LR_FIXED_ARGS 8		/* op now ttl rcpt m r b nsubjects */

/*
 * The script.  KEYS: the transaction's record and its queue id marker
 * (kept under the call's first subject: every subject of a call is
 * counted together, so one record serves them all), then per subject and
 * limit its bucket and its override.  ARGV: op (C check, R reserve, U
 * undo, M commit, X release), now in ms (0: the server's TIME), ttl ms,
 * recipient, units of messages, recipients, bytes, number of subjects,
 * then per subject the number of limits and per limit: name, counter (m r
 * b p), amount, period ms, quantum ms, dry-run (0 1).  Reply: code (0 ok,
 * 1 over, 2 duplicate, 3 stale), then per limit: state (0 ok, 1 over, 2
 * dry-run over), used, amount, period ms, retry ms, reset ms.
 *
 * It is the C of limit_mem.c, line for line; numbers stay integers below
 * 2^53 (limit_def_set picks the quantum so), written with %d because
 * Redis would turn a Lua number into text with only 14 digits.
 *
 * The "#!lua" line (Redis 7.0 and later) makes Redis check for out of
 * memory before the script starts: without it a script is refused at its
 * first write, and one whose first subject was written already would be
 * cut in the middle (found by t_limit_redis_faults.sh, R6).
 */
const char limit_redis_lua[] =
"#!lua\n"
"local op=ARGV[1]\n"
"local now=tonumber(ARGV[2])\n"
"if now==0 then local t=redis.call('TIME') now=tonumber(t[1])*1000+"
"math.floor(tonumber(t[2])/1000) end\n"
"local ttl=tonumber(ARGV[3])\n"
"local rf='r:'..ARGV[4]\n"
"local units={tonumber(ARGV[5]),tonumber(ARGV[6]),tonumber(ARGV[7])}\n"
"local ns=tonumber(ARGV[8])\n"
"local tk,qk=KEYS[1],KEYS[2]\n"
"local CI={m=1,r=2,b=3}\n"
"local function I(x) return string.format('%d',x) end\n"
"local function fdiv(a,b) local q=math.floor(a/b) local r=a-q*b "
"if r<0 then q=q-1 elseif r>=b then q=q+1 end return q end\n"
"local function cdiv(a,b) local q=fdiv(a,b) if q*b<a then q=q+1 end "
"return q end\n"
"local function un(l,u) local i=CI[l.c] if i then return u[i] end "
"return 0 end\n"
"local function fits(l,n) return n==0 or l.s+n*l.tu<=l.A*l.tu end\n"
"local function retry(l,n) if n>l.A or l.A==0 then return l.P end "
"local k=cdiv(l.s+n*l.tu-l.A*l.tu,l.A) local at=l.t+k*l.u "
"if at>now then return at-now end return 1 end\n"
"local function reset(l) if l.s==0 then return 0 end "
"if l.A==0 then return l.P end local at=l.t+cdiv(l.s,l.A)*l.u "
"if at>now then return at-now end return 0 end\n"
/* the transaction: what this op adds and gives back */
"local add,sub,held={0,0,0},{0,0,0},{0,0,0}\n"
"local stale,dup,rec=false,false,nil\n"
"local st=nil\n"
"if op~='C' then\n"
" local tx=redis.call('HMGET',tk,'st','m','r','b',rf)\n"
" st=tx[1] rec=tx[5]\n"
" if not st then held={tonumber(tx[2]) or 0,tonumber(tx[3]) or 0,"
"tonumber(tx[4]) or 0} end\n"
"end\n"
"local pm=held[2]\n"
"if op=='C' then add={units[1],units[2],units[3]} pm=units[2]\n"
"elseif op=='R' then\n"
" if st then stale=true elseif not rec then\n"
"  if held[1]==0 then add[1]=units[1] end\n"
"  add[2]=units[2]\n"
"  if held[3]==0 then add[3]=units[3] end\n"
"  pm=held[2]+add[2]\n"
" end\n"
"elseif op=='U' then\n"
" if st then stale=true else\n"
"  if rec then local x,y,z=string.match(rec,'^(%d+):(%d+):(%d+)$') "
"sub={tonumber(x) or 0,tonumber(y) or 0,tonumber(z) or 0} end\n"
"  pm=held[2]-sub[2]\n"
" end\n"
"elseif op=='M' then\n"
" dup=redis.call('EXISTS',qk)==1\n"
" if dup or st=='c' then dup=true sub={held[1],held[2],held[3]}\n"
" else for x=1,3 do if units[x]>held[x] then add[x]=units[x]-held[x] "
"else sub[x]=held[x]-units[x] end end pm=units[2] end\n"
"elseif op=='X' then sub={held[1],held[2],held[3]} end\n"
/* every limit of every subject: load, drain, check */
"local lims={} local keys={} local a=9 local k=3 local over=false\n"
"for i=1,ns do\n"
" local nl=tonumber(ARGV[a]) a=a+1\n"
" for j=1,nl do\n"
"  lims[#lims+1]={key=KEYS[k],c=ARGV[a+1],A=tonumber(ARGV[a+2]),"
"P=tonumber(ARGV[a+3]),u=tonumber(ARGV[a+4]),dry=ARGV[a+5]=='1',"
"state=0,n=0}\n"
"  keys[#keys+1]=KEYS[k] keys[#keys+1]=KEYS[k+1] k=k+2 a=a+6\n"
" end\n"
"end\n"
/* one MGET: every bucket and every override of the call */
"local vals={} if #keys>0 then vals=redis.call('MGET',unpack(keys)) end\n"
"for x,l in ipairs(lims) do\n"
" local ov=vals[2*x]\n"
" if ov then local p,q,r=string.match(ov,'^(%d+):(%d+):(%d+)$') "
"if p then l.A=tonumber(p) l.P=tonumber(q) l.u=tonumber(r) end end\n"
" l.s=0 l.t=now\n"
" if l.c=='p' then l.P=0 else\n"
"  l.tu=l.P/l.u\n"
"  local v=vals[2*x-1]\n"
"  local u_,s0,t0,u0\n"
"  if v then u_,s0,t0,u0=string.match(v,'^(%d+) (%d+) (%d+) (%d+)$') end\n"
"  if s0 then\n"
"   l.s=tonumber(s0) l.t=tonumber(t0)\n"
"   local stu=tonumber(u0)\n"
"   if stu~=l.tu and stu>0 then l.s=cdiv(l.s*l.tu,stu) end\n"
"   if now>l.t then local q=fdiv(now-l.t,l.u) if q>0 then "
"local d=q*l.A if d>=l.s then l.s=0 l.t=now else l.s=l.s-d "
"l.t=l.t+q*l.u end end end\n"
"   if l.s==0 then l.t=now end\n"
"  end\n"
" end\n"
" l.n=un(l,add)\n"
" local bad\n"
" if l.c=='p' then bad=add[2]>0 and pm>l.A else bad=not fits(l,l.n) end\n"
" if bad then if l.dry then l.state=2 else l.state=1 over=true end end\n"
"end\n"
/* apply: all or nothing; a refused commit gives the reservation back */
"if over and op=='M' then sub={held[1],held[2],held[3]} add={0,0,0}\n"
"elseif over then add={0,0,0} sub={0,0,0} end\n"
"local out={0}\n"
"for _,l in ipairs(lims) do\n"
" local give=un(l,sub) local take=un(l,add) local dirty=false\n"
" if op~='C' and take>0 and l.state==0 then l.s=l.s+take*l.tu "
"dirty=true end\n"
" if give>0 then local g=give*l.tu if l.s>g then l.s=l.s-g else l.s=0 end "
"dirty=true end\n"
" if dirty and l.c~='p' then\n"
"  if l.s==0 then redis.call('DEL',l.key) else\n"
"   local r=reset(l) if r<1 then r=1 end\n"
"   redis.call('SET',l.key,I(cdiv(l.s,l.tu))..' '..I(l.s)..' '..I(l.t)"
"..' '..I(l.tu),'PX',I(r))\n"
"  end\n"
" end\n"
" if l.c=='p' then\n"
"  for _,x in ipairs({l.state,pm,l.A,0,0,0}) do out[#out+1]=x end\n"
" else\n"
"  local rt=0 if l.state~=0 then rt=retry(l,l.n) end\n"
"  for _,x in ipairs({l.state,cdiv(l.s,l.tu),l.A,l.P,rt,reset(l)}) do "
"out[#out+1]=x end\n"
" end\n"
"end\n"
/* record the op in the transaction */
"if not stale and op~='C' then\n"
" if op=='R' then\n"
"  if not over and not rec then\n"
"   redis.call('HSET',tk,rf,I(add[1])..':'..I(add[2])..':'..I(add[3]),"
"'m',I(held[1]+add[1]),'r',I(held[2]+add[2]),'b',I(held[3]+add[3]))\n"
"   redis.call('PEXPIRE',tk,I(ttl))\n"
"  end\n"
" elseif op=='U' then\n"
"  if rec then redis.call('HDEL',tk,rf) redis.call('HSET',tk,'m',"
"I(held[1]-sub[1]),'r',I(held[2]-sub[2]),'b',I(held[3]-sub[3])) end\n"
" else\n"
"  if not st then if op=='M' and not over then st='c' else st='x' end end\n"
"  redis.call('HSET',tk,'st',st,'m','0','r','0','b','0')\n"
"  redis.call('PEXPIRE',tk,I(ttl))\n"
"  if op=='M' and not over and not dup then "
"redis.call('SET',qk,'1','PX',I(ttl)) end\n"
" end\n"
"end\n"
"if over then out[1]=1 elseif dup then out[1]=2 elseif stale then "
"out[1]=3 end\n"
"return out\n";

struct lr_backend {
	struct limit_backend ops;	/* first: the backend is cast to it */
	struct store *st;		/* borrowed from the limiter */
	struct rconn *rc;		/* the store's */
	struct rconn_script script;
	const char *prefix;		/* the store's */
};

/* limit_redis_cmd_init - an empty command */
void
limit_redis_cmd_init(struct limit_redis_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
}

/* limit_redis_cmd_free - release a command's storage */
void
limit_redis_cmd_free(struct limit_redis_cmd *cmd)
{
	free(cmd->argv);
	free(cmd->lens);
	free(cmd->arena);
	limit_redis_cmd_init(cmd);
}

/* lr_push - one more argument, copied into the arena */
static int
lr_push(struct limit_redis_cmd *cmd, const char *s, size_t len)
{
	if ((size_t)cmd->argc == cmd->maxargs || cmd->used + len + 1 > cmd->cap)
		return -1;
	memcpy(cmd->arena + cmd->used, s, len);
	cmd->arena[cmd->used + len] = '\0';
	cmd->argv[cmd->argc] = cmd->arena + cmd->used;
	cmd->lens[cmd->argc++] = len;
	cmd->used += len + 1;
	return 0;
}

/* lr_pushf - one more argument, formatted */
static int
lr_pushf(struct limit_redis_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
lr_pushf(struct limit_redis_cmd *cmd, const char *fmt, ...)
{
	char buf[LIMIT_SUBJECT_MAX + LIMIT_ID_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return lr_push(cmd, buf, (size_t)n);
}

/* limit_redis_key - "PREFIX:{SUBJECT}:SUFFIX" */
int
limit_redis_key(const char *prefix, const char *subject, const char *suffix,
		char *out, size_t size)
{
	return str_format(out, size, "%s:{%s}:%s", prefix, subject, suffix);
}

/* lr_counter - the counter's letter in the script */
static const char *
lr_counter(enum limit_counter c)
{
	switch (c) {
	case LIMIT_MESSAGES:
		return "m";
	case LIMIT_RECIPIENTS:
		return "r";
	case LIMIT_BYTES:
		return "b";
	default:
		return "p";
	}
}

/* lr_op - the op's letter in the script */
static const char *
lr_op(enum limit_op op)
{
	switch (op) {
	case LIMIT_CHECK:
		return "C";
	case LIMIT_RESERVE:
		return "R";
	case LIMIT_UNDO:
		return "U";
	case LIMIT_COMMIT:
		return "M";
	default:
		return "X";
	}
}

/* limit_redis_args - EVALSHA arguments (after the sha) for subjects
 * [first, first + count) of c; see limit_redis.h */
int
limit_redis_args(const char *prefix, const struct limit_call *c,
		 size_t first, size_t count, struct limit_redis_cmd *cmd,
		 struct err *e)
{
	char key[LIMIT_SUBJECT_MAX + LIMIT_ID_MAX + 64];
	char txn[LIMIT_ID_MAX + 8];
	char qid[LIMIT_ID_MAX + 8];
	size_t nkeys = 2;
	size_t i;
	size_t j;

	limit_redis_cmd_free(cmd);
	if (first + count > c->nsubjects || count == 0) {
		err_set(e, "limit_redis_args: no subjects");
		return -1;
	}
	for (i = first; i < first + count; i++)
		nkeys += 2 * c->subjects[i].ndefs;
	cmd->maxargs = 1 + nkeys + LR_FIXED_ARGS + count * (1 + 6 * LIMIT_PLAN_MAX);
	cmd->argv = xcalloc(cmd->maxargs, sizeof(*cmd->argv));
	cmd->lens = xcalloc(cmd->maxargs, sizeof(*cmd->lens));
	cmd->cap = LR_ARENA;
	cmd->arena = xmalloc(cmd->cap);
	if (lr_pushf(cmd, "%zu", nkeys) < 0 ||
	    str_format(txn, sizeof(txn), "txn:%s", c->txn) < 0 ||
	    str_format(qid, sizeof(qid), "qid:%s",
		       c->qid[0] ? c->qid : c->txn) < 0 ||
	    limit_redis_key(prefix, c->subjects[first].key, txn, key,
			    sizeof(key)) < 0 ||
	    lr_push(cmd, key, strlen(key)) < 0 ||
	    limit_redis_key(prefix, c->subjects[first].key, qid, key,
			    sizeof(key)) < 0 ||
	    lr_push(cmd, key, strlen(key)) < 0)
		goto full;
	for (i = first; i < first + count; i++) {
		const struct limit_call_subject *s = &c->subjects[i];

		for (j = 0; j < s->ndefs; j++) {
			if (limit_redis_key(prefix, s->key, s->defs[j].name, key,
					    sizeof(key)) < 0 ||
			    lr_push(cmd, key, strlen(key)) < 0 ||
			    lr_pushf(cmd, "%s:override", key) < 0)
				goto full;
		}
	}
	if (lr_push(cmd, lr_op(c->op), 1) < 0 ||
	    lr_pushf(cmd, "%llu", (unsigned long long)c->now_ms) < 0 ||
	    lr_pushf(cmd, "%llu", (unsigned long long)c->ttl_ms) < 0 ||
	    lr_push(cmd, c->rcpt, strlen(c->rcpt)) < 0 ||
	    lr_pushf(cmd, "%llu", (unsigned long long)c->units[0]) < 0 ||
	    lr_pushf(cmd, "%llu", (unsigned long long)c->units[1]) < 0 ||
	    lr_pushf(cmd, "%llu", (unsigned long long)c->units[2]) < 0 ||
	    lr_pushf(cmd, "%zu", count) < 0)
		goto full;
	cmd->nrows = 0;
	for (i = first; i < first + count; i++) {
		const struct limit_call_subject *s = &c->subjects[i];

		if (lr_pushf(cmd, "%zu", s->ndefs) < 0)
			goto full;
		for (j = 0; j < s->ndefs; j++) {
			const struct limit_def *d = &s->defs[j];

			if (lr_push(cmd, d->name, strlen(d->name)) < 0 ||
			    lr_push(cmd, lr_counter(d->counter), 1) < 0 ||
			    lr_pushf(cmd, "%llu",
				     (unsigned long long)d->amount) < 0 ||
			    lr_pushf(cmd, "%llu",
				     (unsigned long long)d->period_ms) < 0 ||
			    lr_pushf(cmd, "%llu",
				     (unsigned long long)d->unit_ms) < 0 ||
			    lr_push(cmd, d->dry_run ? "1" : "0", 1) < 0)
				goto full;
			cmd->nrows++;
		}
	}
	cmd->slot = rconn_slot(cmd->argv[1], cmd->lens[1]);
	return 0;
full:
	err_set(e, "limit_redis_args: arguments too long");
	limit_redis_cmd_free(cmd);
	return -1;
}

/* lr_int - element i of an array reply as an integer in [0, max] */
static int
lr_int(const redisReply *rep, size_t i, long long max, uint64_t *out)
{
	const redisReply *x = rep->element[i];

	if (x == NULL || x->type != REDIS_REPLY_INTEGER || x->integer < 0 ||
	    x->integer > max)
		return -1;
	*out = (uint64_t)x->integer;
	return 0;
}

/* limit_redis_parse - type-check a script reply; see limit_redis.h */
int
limit_redis_parse(const redisReply *rep, size_t nrows, enum limit_code *code,
		  struct limit_row *rows, struct err *e)
{
	const long long big = 1LL << 62;
	uint64_t v;
	size_t i;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
		err_set(e, "script reply is not an array (type %d)",
			rep ? rep->type : -1);
		return -1;
	}
	if (rep->elements != 1 + 6 * nrows || rep->element == NULL) {
		err_set(e, "script reply has %zu elements, expected %zu",
			rep->elements, 1 + 6 * nrows);
		return -1;
	}
	if (lr_int(rep, 0, LIMIT_CODE_STALE, &v) < 0)
		goto bad;
	*code = (enum limit_code)v;
	for (i = 0; i < nrows; i++) {
		struct limit_row *r = &rows[i];
		size_t b = 1 + 6 * i;

		if (lr_int(rep, b, LIMIT_STATE_DRY_OVER, &v) < 0)
			goto bad;
		r->state = (enum limit_state)v;
		if (lr_int(rep, b + 1, big, &r->used) < 0 ||
		    lr_int(rep, b + 2, (long long)LIMIT_AMOUNT_MAX,
			   &r->amount) < 0 ||
		    lr_int(rep, b + 3, (long long)LIMIT_PERIOD_MAX,
			   &r->period_ms) < 0 ||
		    lr_int(rep, b + 4, big, &r->retry_ms) < 0 ||
		    lr_int(rep, b + 5, big, &r->reset_ms) < 0)
			goto bad;
	}
	return 0;
bad:
	err_set(e, "script reply holds a value of the wrong type or range");
	return -1;
}

/* lr_run - one script call for subjects [first, first + count) */
static int
lr_run(struct lr_backend *b, const struct limit_call *c, size_t first,
       size_t count, enum limit_code *code, struct limit_row *rows,
       struct err *e)
{
	struct limit_redis_cmd cmd;
	redisReply *rep;
	int rc = -1;

	limit_redis_cmd_init(&cmd);
	if (limit_redis_args(b->prefix, c, first, count, &cmd, e) < 0)
		return -1;
	rep = rconn_call(b->rc, cmd.slot, &b->script, cmd.argc, cmd.argv,
			 cmd.lens, e);
	if (rep != NULL) {
		rc = limit_redis_parse(rep, cmd.nrows, code, rows, e);
		freeReplyObject(rep);
	}
	limit_redis_cmd_free(&cmd);
	return rc;
}

/* lr_subject_slot - Cluster slot of a subject's keys */
static int
lr_subject_slot(const char *subject)
{
	return rconn_slot(subject, strlen(subject));
}

/* lr_decide - limit_backend.decide: one script call for all subjects,
 * or (Cluster) one per slot in order, a RESERVE refused by a later slot
 * undone in the earlier ones */
static int
lr_decide(struct limit_backend *be, const struct limit_call *c,
	  struct limit_answer *a, struct err *e)
{
	struct lr_backend *b = (struct lr_backend *)be;
	struct limit_row rows[LIMIT_HITS_MAX];
	size_t off[LIMIT_SUBJECTS_MAX + 1];
	int slot[LIMIT_SUBJECTS_MAX];
	size_t idx[LIMIT_SUBJECTS_MAX];
	size_t ends[LIMIT_SUBJECTS_MAX];
	struct limit_call applied[LIMIT_SUBJECTS_MAX];
	size_t napplied = 0;
	struct limit_call one;
	enum limit_code code;
	size_t ng;
	size_t g;
	size_t i;
	size_t k;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	off[0] = 0;
	for (i = 0; i < c->nsubjects; i++) {
		off[i + 1] = off[i] + c->subjects[i].ndefs;
		slot[i] = lr_subject_slot(c->subjects[i].key);
	}
	a->nrows = off[c->nsubjects];
	ng = store_group(b->st, slot, c->nsubjects, idx, ends);
	if (ng == 1)
		return lr_run(b, c, 0, c->nsubjects, &a->code, a->rows, e);
	a->code = LIMIT_CODE_OK;
	for (g = 0, i = 0; g < ng && rc == 0; g++) {
		size_t first = i;

		one = *c;
		one.nsubjects = 0;
		for (; i < ends[g]; i++)
			one.subjects[one.nsubjects++] = c->subjects[idx[i]];
		if (lr_run(b, &one, 0, one.nsubjects, &code, rows, e) < 0) {
			rc = -1;
			break;
		}
		for (k = 0; first < ends[g]; first++) {
			size_t j = idx[first];

			memcpy(&a->rows[off[j]], &rows[k],
			       c->subjects[j].ndefs * sizeof(rows[0]));
			k += c->subjects[j].ndefs;
		}
		if (code == LIMIT_CODE_OVER)
			rc = 1;
		else {
			applied[napplied++] = one;
			if (a->code == LIMIT_CODE_OK)
				a->code = code;
		}
	}
	if (rc != 0 && c->op == LIMIT_RESERVE) {
		/* give back what the slots before the refusal took */
		struct err ue;

		for (k = 0; k < napplied; k++) {
			applied[k].op = LIMIT_UNDO;
			(void)lr_run(b, &applied[k], 0, applied[k].nsubjects,
				     &code, rows, &ue);
		}
	}
	if (rc == 1) {
		a->code = LIMIT_CODE_OVER;
		return 0;
	}
	return rc;
}

/* lr_keys_call - one command on some keys of one subject */
static int
lr_keys_call(struct lr_backend *b, const char *cmdname, const char *subject,
	     const struct limit_def *defs, size_t ndefs, const char *name,
	     const char *suffix, struct err *e)
{
	char keys[LIMIT_PLAN_MAX][LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 32];
	const char *argv[1 + LIMIT_PLAN_MAX];
	size_t lens[1 + LIMIT_PLAN_MAX];
	redisReply *rep;
	int argc = 1;
	size_t i;

	argv[0] = cmdname;
	lens[0] = strlen(cmdname);
	for (i = 0; i < ndefs && i < LIMIT_PLAN_MAX; i++) {
		if (name != NULL && strcmp(name, defs[i].name) != 0)
			continue;
		if (str_format(keys[i], sizeof(keys[i]), "%s:{%s}:%s%s",
			       b->prefix, subject, defs[i].name, suffix) < 0) {
			err_set(e, "key too long");
			return -1;
		}
		argv[argc] = keys[i];
		lens[argc++] = strlen(keys[i]);
	}
	if (argc == 1)
		return 0;
	rep = rconn_call(b->rc, lr_subject_slot(subject), NULL, argc, argv,
			 lens, e);
	if (rep == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

/* lr_reset - limit_backend.reset */
static int
lr_reset(struct limit_backend *be, const char *subject,
	 const struct limit_def *defs, size_t ndefs, const char *name,
	 struct err *e)
{
	return lr_keys_call((struct lr_backend *)be, "DEL", subject, defs,
			    ndefs, name, "", e);
}

/* lr_override_clear - limit_backend.override_clear */
static int
lr_override_clear(struct limit_backend *be, const char *subject,
		  const struct limit_def *defs, size_t ndefs, const char *name,
		  struct err *e)
{
	return lr_keys_call((struct lr_backend *)be, "DEL", subject, defs,
			    ndefs, name, ":override", e);
}

/* lr_override_set - limit_backend.override_set */
static int
lr_override_set(struct limit_backend *be, const char *subject,
		const struct limit_def *d, uint64_t ttl_ms, struct err *e)
{
	struct lr_backend *b = (struct lr_backend *)be;
	char key[LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 32];
	char val[80];
	char ttl[24];
	const char *argv[5];
	size_t lens[5];
	redisReply *rep;
	int argc = 3;
	int argc0;

	if (str_format(key, sizeof(key), "%s:{%s}:%s:override", b->prefix,
		       subject, d->name) < 0) {
		err_set(e, "key too long");
		return -1;
	}
	(void)str_format(val, sizeof(val), "%llu:%llu:%llu",
			 (unsigned long long)d->amount,
			 (unsigned long long)d->period_ms,
			 (unsigned long long)d->unit_ms);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = val;
	if (ttl_ms > 0) {
		(void)str_format(ttl, sizeof(ttl), "%llu",
				 (unsigned long long)ttl_ms);
		argv[argc++] = "PX";
		argv[argc++] = ttl;
	}
	for (argc0 = 0; argc0 < argc; argc0++)
		lens[argc0] = strlen(argv[argc0]);
	rep = rconn_call(b->rc, lr_subject_slot(subject), NULL, argc, argv,
			 lens, e);
	if (rep == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

/* lr_free - limit_backend.free (the connections are the store's) */
static void
lr_free(struct limit_backend *be)
{
	free(be);
}

/* limit_redis_new - the redis backend on the store's connections */
int
limit_redis_new(struct store *st, struct limit_backend **out, struct err *e)
{
	struct lr_backend *b = xcalloc(1, sizeof(*b));

	(void)e;
	b->st = st;
	b->rc = store_rconn(st);
	b->prefix = store_prefix(st);
	rconn_script_init(&b->script, limit_redis_lua);
	b->ops.name = "redis";
	b->ops.decide = lr_decide;
	b->ops.reset = lr_reset;
	b->ops.override_set = lr_override_set;
	b->ops.override_clear = lr_override_clear;
	b->ops.free = lr_free;
	*out = &b->ops;
	return 0;
}
