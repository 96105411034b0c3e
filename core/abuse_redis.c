/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abuse_redis - the redis backend of abuse.h: one Lua script runs every
 * section of a call (all of them with a standalone server or Sentinel,
 * those of one Cluster slot otherwise), so a decision costs one round trip.
 *
 * Keys (PREFIX is redis_key_prefix; SUBJECT as in limit.h, escaped, so it
 * never holds a brace); every one has a TTL:
 *
 *   PREFIX:{SUBJECT}:block	hash until set action dry admin reason;
 *				expires with the block
 *   PREFIX:{SUBJECT}:trips	hash n last start: quota refusals of the
 *				current penalty_box_window (from the first)
 *   PREFIX:{SUBJECT}:offences	hash n until: blocks given, remembered
 *				until penalty_box_memory after the last ends
 *   PREFIX:{login:L}:nets	sorted set network -> last use (ms), the
 *				newest stolen_login_networks + 1 kept
 *   PREFIX:{fp:HEX}:fanout	sorted set recipient hash -> last (ms), all
 *				senders; :fanout:SENDER for one sender
 *   PREFIX:{login:L}:spike	hash s l t f: decayed recent and long
 *				counts, last update, first seen
 *   PREFIX:{SUBJECT}:warn:LIMIT:PCT	quota warning given: the time it
 *				may be given again
 *   PREFIX:{SUBJECT}:rep	hash first last (reputation_ttl)
 *   PREFIX:{SUBJECT}:rep:N	hash a t r s o of 10-minute bucket N (25 h)
 *   PREFIX:{SUBJECT}:rep:nets, :rep:domains	HyperLogLogs (reputation_ttl)
 *   PREFIX:{top}:sent:N, PREFIX:{top}:refused:N	sorted sets subject ->
 *				decisions in bucket N (25 h), for "top"
 *
 * Windows and expiry are decided by the times stored in the values against
 * the call's clock (ARGV), as in the limit script; the TTLs only clean up.
 * Recipients and domains travel as 16 hex digits each (abusemsg hashes),
 * packed into one argument.  The script's reply is 17 elements per
 * section (16 integers, one string), checked before use.
 */
#include "abuse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rconn.h"
#include "store.h"
#include "str.h"
#include "xalloc.h"

#define AR_REPLY_PER_SEC (ABUSE_NUMS + 1)
#define AR_DAY_BUCKETS 144	/* 24 h of 10-minute buckets */
#define AR_HOUR_BUCKETS 6
#define AR_BUCKET_TTL (25ULL * 3600 * 1000)

static const char abuse_redis_lua[] =
"#!lua\n"
"local now=tonumber(ARGV[1])\n"
"local ns=tonumber(ARGV[2])\n"
"local peek=ARGV[3]=='1'\n"
"local function I(x) return string.format('%d',x) end\n"
/* times are checked against now, not only left to TTLs: the caller's
 * clock decides (tests drive it; nodes agree within their skew) */
"local function offences(k) local v=redis.call('HMGET',k,'n','until') "
"if (tonumber(v[2]) or 0)>now then return tonumber(v[1]) or 0 end "
"return 0 end\n"
"local function trips(k,w) local v=redis.call('HMGET',k,'n','start') "
"local st=tonumber(v[2]) if not st then return 0 end "
"if w>0 and now-st>=w then redis.call('DEL',k) return 0 end "
"return tonumber(v[1]) or 0 end\n"
"local a=4 local k=1 local out={}\n"
"for s=1,ns do\n"
" local op=ARGV[a] local nk=tonumber(ARGV[a+1]) local na=tonumber(ARGV[a+2])\n"
" local K={} for i=1,nk do K[i]=KEYS[k+i-1] end\n"
" local A={} for i=1,na do A[i]=ARGV[a+2+i] end\n"
" k=k+nk a=a+3+na\n"
" local r={0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0} local txt=''\n"
/* block of a subject, with its offences and current trips */
" if op=='G' then\n"
"  local b=redis.call('HMGET',K[1],'until','set','action','dry','admin',"
"'reason')\n"
"  local u=tonumber(b[1]) or 0\n"
"  if u>now then r[1]=1 end\n"
"  r[2]=u r[3]=tonumber(b[2]) or 0 r[4]=tonumber(b[3]) or 0\n"
"  r[5]=tonumber(b[4]) or 0 r[6]=tonumber(b[5]) or 0\n"
"  r[7]=offences(K[3]) r[8]=trips(K[2],0)\n"
"  txt=b[6] or ''\n"
/* a login's client networks */
" elseif op=='N' then\n"
"  local m,w,keep=A[1],tonumber(A[2]),tonumber(A[3])\n"
"  local from=now-w\n"
"  if peek then\n"
"   local c=redis.call('ZCOUNT',K[1],'('..I(from),'+inf')\n"
"   local sc=tonumber(redis.call('ZSCORE',K[1],m))\n"
"   if not sc or sc<=from then c=c+1 end\n"
"   if c>keep then c=keep end\n"
"   r[1]=c\n"
"  else\n"
"   redis.call('ZREMRANGEBYSCORE',K[1],'-inf',I(from))\n"
"   redis.call('ZADD',K[1],I(now),m)\n"
"   local c=redis.call('ZCARD',K[1])\n"
"   if c>keep then redis.call('ZREMRANGEBYRANK',K[1],0,c-keep-1) c=keep end\n"
"   redis.call('PEXPIRE',K[1],I(w))\n"
"   r[1]=c\n"
"  end\n"
/* a quota refusal: count it once per transaction, block at the limit */
" elseif op=='T' then\n"
"  local w,lim,base,g,mx,mem=tonumber(A[2]),tonumber(A[3]),tonumber(A[4]),"
"tonumber(A[5]),tonumber(A[6]),tonumber(A[7])\n"
"  local off=offences(K[2])\n"
"  local u=tonumber(redis.call('HGET',K[3],'until')) or 0\n"
"  local n=trips(K[1],w)\n"
"  r[1]=n r[4]=off\n"
"  if u>now then r[3]=u\n"
"  elseif n==0 or redis.call('HGET',K[1],'last')~=A[1] then\n"
"   n=n+1\n"
"   if n==1 then redis.call('HSET',K[1],'start',I(now)) "
"redis.call('PEXPIRE',K[1],I(w)) end\n"
"   redis.call('HSET',K[1],'n',I(n),'last',A[1])\n"
"   r[1]=n\n"
"   if n>=lim then\n"
"    local d=base\n"
"    for i=1,off do d=d*g if d>=mx then break end end\n"
"    if d>mx then d=mx end\n"
"    redis.call('HSET',K[3],'until',I(now+d),'set',I(now),'action',A[8],"
"'dry',A[9],'admin','0','reason','quota refused '..I(n)..' times')\n"
"    redis.call('PEXPIRE',K[3],I(d))\n"
"    off=off+1\n"
"    redis.call('HSET',K[2],'n',I(off),'until',I(now+d+mem))\n"
"    redis.call('PEXPIRE',K[2],I(d+mem))\n"
"    redis.call('DEL',K[1])\n"
"    r[2]=1 r[3]=now+d r[4]=off\n"
"   end\n"
"  end\n"
/* distinct recipients of one fingerprint */
" elseif op=='F' then\n"
"  local w,keep,p=tonumber(A[1]),tonumber(A[2]),A[3]\n"
"  redis.call('ZREMRANGEBYSCORE',K[1],'-inf',I(now-w))\n"
"  local z={}\n"
"  for i=1,#p,16 do z[#z+1]=I(now) z[#z+1]=string.sub(p,i,i+15) end\n"
"  if #z>0 then redis.call('ZADD',K[1],unpack(z)) end\n"
"  local c=redis.call('ZCARD',K[1])\n"
"  if c>keep then redis.call('ZREMRANGEBYRANK',K[1],0,c-keep-1) c=keep end\n"
"  if c>0 then redis.call('PEXPIRE',K[1],I(w)) end\n"
"  r[1]=c\n"
/* a login's recent and average rate, decayed counts */
" elseif op=='P' then\n"
"  local w,b=tonumber(A[1]),tonumber(A[2])\n"
"  local v=redis.call('HMGET',K[1],'s','l','t','f')\n"
"  local sv,lv,t,f=tonumber(v[1]) or 0,tonumber(v[2]) or 0,tonumber(v[3]),"
"tonumber(v[4])\n"
"  if not t or not f then t=now f=now sv=0 lv=0 end\n"
"  local dt=now-t if dt<0 then dt=0 end\n"
"  sv=sv*math.exp(-dt/w)+1 lv=lv*math.exp(-dt/b)+1\n"
"  if now>t then t=now end\n"
"  if not peek then\n"
"   redis.call('HSET',K[1],'s',tostring(sv),'l',tostring(lv),'t',I(t),"
"'f',I(f))\n"
"   redis.call('PEXPIRE',K[1],I(4*b))\n"
"  end\n"
"  local age=now-f if age<w then age=w end if age>b then age=b end\n"
"  r[1]=math.floor(sv*1000) r[2]=math.floor(lv*w/age*1000)\n"
/* a quota warning, once per period */
" elseif op=='W' then\n"
"  local x=tonumber(redis.call('GET',K[1]))\n"
"  if not x or x<=now then redis.call('SET',K[1],I(now+tonumber(A[1])),"
"'PX',A[1]) r[1]=1 end\n"
/* reputation: one decision */
" elseif op=='R' then\n"
"  local f=({'a','t','r'})[tonumber(A[1])+1] or 'a'\n"
"  redis.call('HINCRBY',K[2],f,1)\n"
"  if A[2]=='1' then redis.call('HINCRBY',K[2],'s',1) end\n"
"  if A[3]=='1' then redis.call('HINCRBY',K[2],'o',1) end\n"
"  redis.call('PEXPIRE',K[2],A[5])\n"
"  redis.call('HSETNX',K[1],'first',I(now))\n"
"  redis.call('HSET',K[1],'last',I(now))\n"
"  redis.call('PEXPIRE',K[1],A[4])\n"
"  if A[6]~='' then redis.call('PFADD',K[3],A[6]) "
"redis.call('PEXPIRE',K[3],A[4]) end\n"
"  local p=A[7]\n"
"  if #p>0 then local d={} for i=1,#p,16 do d[#d+1]=string.sub(p,i,i+15) "
"end redis.call('PFADD',K[4],unpack(d)) redis.call('PEXPIRE',K[4],A[4]) "
"end\n"
/* top: decisions and refusals per subject and bucket */
" elseif op=='K' then\n"
"  redis.call('ZINCRBY',K[1],1,A[1]) redis.call('PEXPIRE',K[1],A[3])\n"
"  if A[2]=='1' then redis.call('ZINCRBY',K[2],1,A[1]) "
"redis.call('PEXPIRE',K[2],A[3]) end\n"
/* an administrator's block */
" elseif op=='S' then\n"
"  local d=tonumber(A[1])-now if d<1 then d=1 end\n"
"  redis.call('HSET',K[1],'until',A[1],'set',I(now),'action',A[2],"
"'dry',A[3],'admin',A[4],'reason',A[5])\n"
"  redis.call('PEXPIRE',K[1],I(d))\n"
"  r[1]=1\n"
" elseif op=='C' then\n"
"  local u=tonumber(redis.call('HGET',K[1],'until')) or 0\n"
"  if u>now then r[1]=1 end\n"
"  redis.call('DEL',K[1],K[2])\n"
"  if A[1]=='1' then redis.call('DEL',K[3]) end\n"
/* reputation of a subject: the buckets, newest first */
" elseif op=='Q' then\n"
"  local m=redis.call('HMGET',K[1],'first','last')\n"
"  if m[1] then r[1]=1 end\n"
"  r[2]=tonumber(m[1]) or 0 r[3]=tonumber(m[2]) or 0\n"
"  r[4]=redis.call('PFCOUNT',K[2]) r[5]=redis.call('PFCOUNT',K[3])\n"
"  local nh=tonumber(A[1])\n"
"  for i=4,nk do\n"
"   local v=redis.call('HMGET',K[i],'a','t','r','s','o')\n"
"   for j=1,5 do local x=tonumber(v[j]) or 0 r[10+j]=r[10+j]+x "
"if i-3<=nh then r[5+j]=r[5+j]+x end end\n"
"  end\n"
" else\n"
"  return redis.error_reply('unknown section '..tostring(op))\n"
" end\n"
" for i=1,16 do out[#out+1]=r[i] end out[#out+1]=txt\n"
"end\n"
"return out\n";

/* The busiest subjects of a window: the union of its buckets. */
static const char abuse_redis_top_lua[] =
"#!lua\n"
"local tmp=KEYS[#KEYS]\n"
"local n=#KEYS-1\n"
"redis.call('ZUNIONSTORE',tmp,n,unpack(KEYS,1,n))\n"
"local r=redis.call('ZREVRANGE',tmp,0,tonumber(ARGV[1])-1,'WITHSCORES')\n"
"redis.call('DEL',tmp)\n"
"return r\n";

struct ar_backend {
	struct abuse_backend ops;	/* first: the backend is cast to it */
	struct store *st;		/* borrowed */
	struct rconn *rc;		/* the store's */
	struct rconn_script script;
	struct rconn_script top_script;
	const char *prefix;		/* the store's */
};

/* A list of arguments, each an owned copy. */
struct ar_args {
	size_t n;
	size_t cap;
	char **v;
	size_t *len;
};

/* ar_args_free - release a list */
static void
ar_args_free(struct ar_args *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

/* ar_push - one more argument of len bytes */
static void
ar_push(struct ar_args *l, const char *s, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
		l->len = xreallocarray(l->len, l->cap, sizeof(*l->len));
	}
	l->v[l->n] = xstrndup(s, len);
	l->len[l->n++] = len;
}

/* ar_pushs - one more argument, a C string */
static void
ar_pushs(struct ar_args *l, const char *s)
{
	ar_push(l, s, strlen(s));
}

/* ar_pushu - one more argument, a number */
static void
ar_pushu(struct ar_args *l, uint64_t n)
{
	char buf[24];

	(void)str_format(buf, sizeof(buf), "%llu", (unsigned long long)n);
	ar_pushs(l, buf);
}

/* ar_key - "PREFIX:{TAG}:SUFFIX" as the next key; -1 when too long */
static int
ar_key(struct ar_args *keys, const char *prefix, const char *tag,
       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
ar_key(struct ar_args *keys, const char *prefix, const char *tag,
       const char *fmt, ...)
{
	char suffix[ABUSE_SUBJECT_MAX + 64];
	char key[2 * ABUSE_SUBJECT_MAX + 128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(suffix, sizeof(suffix), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(suffix) ||
	    str_format(key, sizeof(key), "%s:{%s}:%s", prefix, tag,
		       suffix) < 0)
		return -1;
	ar_pushs(keys, key);
	return 0;
}

/* ar_packed - hashes as one argument of 16 hex digits each */
static void
ar_packed(struct ar_args *args, const uint64_t *items, size_t n)
{
	char *buf = xmalloc(16 * n + 1);
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		(void)str_format(buf + 16 * i, 17, "%016llx",
				 (unsigned long long)items[i]);
	ar_push(args, buf, 16 * n);
	free(buf);
}

/* ar_tag - the hash tag of a section's keys */
static const char *
ar_tag(const struct abuse_sec *s)
{
	return s->op == ABUSE_OP_TOP ? "top" : s->subject;
}

/* ar_sec - the keys and arguments of one section; -1 when a key is too
 * long */
static int
ar_sec(const char *px, const struct abuse_call *c, const struct abuse_sec *s,
       struct ar_args *keys, struct ar_args *args)
{
	static const char ops[] = "GNTFPWRKSCQ";
	const char *tg = ar_tag(s);
	size_t k0 = keys->n;
	size_t a0;
	uint64_t bucket = c->now_ms / ABUSE_BUCKET_MS;
	char na[8];
	size_t i;
	int rc = 0;

	ar_push(args, &ops[s->op], 1);
	ar_pushs(args, "0");	/* nkeys and nargs, filled in below */
	ar_pushs(args, "0");
	a0 = args->n;
	switch (s->op) {
	case ABUSE_OP_BLOCK_GET:
	case ABUSE_OP_BLOCK_CLEAR:
		rc |= ar_key(keys, px, tg, "block");
		rc |= ar_key(keys, px, tg, "trips");
		rc |= ar_key(keys, px, tg, "offences");
		if (s->op == ABUSE_OP_BLOCK_CLEAR)
			ar_pushu(args, s->n[0]);
		break;
	case ABUSE_OP_NETS:
		rc |= ar_key(keys, px, tg, "nets");
		ar_pushs(args, s->arg);
		ar_pushu(args, s->n[0]);
		ar_pushu(args, s->n[1]);
		break;
	case ABUSE_OP_TRIP:
		rc |= ar_key(keys, px, tg, "trips");
		rc |= ar_key(keys, px, tg, "offences");
		rc |= ar_key(keys, px, tg, "block");
		ar_pushs(args, s->arg);
		for (i = 0; i < 8; i++)
			ar_pushu(args, s->n[i]);
		break;
	case ABUSE_OP_FANOUT:
		rc |= s->arg[0] ? ar_key(keys, px, tg, "fanout:%s", s->arg)
				: ar_key(keys, px, tg, "fanout");
		ar_pushu(args, s->n[0]);
		ar_pushu(args, s->n[1]);
		ar_packed(args, s->items, s->nitems);
		break;
	case ABUSE_OP_SPIKE:
		rc |= ar_key(keys, px, tg, "spike");
		ar_pushu(args, s->n[0]);
		ar_pushu(args, s->n[1]);
		break;
	case ABUSE_OP_WARN:
		rc |= ar_key(keys, px, tg, "warn:%s", s->arg);
		ar_pushu(args, s->n[0]);
		break;
	case ABUSE_OP_NOTE:
		rc |= ar_key(keys, px, tg, "rep");
		rc |= ar_key(keys, px, tg, "rep:%llu",
			     (unsigned long long)bucket);
		rc |= ar_key(keys, px, tg, "rep:nets");
		rc |= ar_key(keys, px, tg, "rep:domains");
		for (i = 0; i < 4; i++)
			ar_pushu(args, s->n[i]);
		ar_pushu(args, AR_BUCKET_TTL);
		if (s->n[4] != 0)
			ar_packed(args, &s->n[4], 1);
		else
			ar_pushs(args, "");
		ar_packed(args, s->items, s->nitems);
		break;
	case ABUSE_OP_TOP:
		rc |= ar_key(keys, px, tg, "sent:%llu",
			     (unsigned long long)bucket);
		rc |= ar_key(keys, px, tg, "refused:%llu",
			     (unsigned long long)bucket);
		ar_pushs(args, s->arg);
		ar_pushu(args, s->n[0]);
		ar_pushu(args, AR_BUCKET_TTL);
		break;
	case ABUSE_OP_BLOCK_SET:
		rc |= ar_key(keys, px, tg, "block");
		rc |= ar_key(keys, px, tg, "trips");
		for (i = 0; i < 4; i++)
			ar_pushu(args, s->n[i]);
		ar_pushs(args, s->arg);
		break;
	case ABUSE_OP_REP_GET:
		rc |= ar_key(keys, px, tg, "rep");
		rc |= ar_key(keys, px, tg, "rep:nets");
		rc |= ar_key(keys, px, tg, "rep:domains");
		for (i = 0; i < AR_DAY_BUCKETS && i <= bucket; i++)
			rc |= ar_key(keys, px, tg, "rep:%llu",
				     (unsigned long long)(bucket - i));
		ar_pushu(args, AR_HOUR_BUCKETS);
		break;
	}
	(void)str_format(na, sizeof(na), "%zu", keys->n - k0);
	free(args->v[a0 - 2]);
	args->v[a0 - 2] = xstrdup(na);
	args->len[a0 - 2] = strlen(na);
	(void)str_format(na, sizeof(na), "%zu", args->n - a0);
	free(args->v[a0 - 1]);
	args->v[a0 - 1] = xstrdup(na);
	args->len[a0 - 1] = strlen(na);
	return rc != 0 ? -1 : 0;
}

/* ar_parse - a script reply checked into the sections it
 * answers (idx[0..n)); -1 when it is not what the script returns */
static int
ar_parse(const redisReply *rep, struct abuse_call *c, const size_t *idx,
	 size_t n, struct err *e)
{
	size_t i;
	size_t j;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != n * AR_REPLY_PER_SEC || rep->element == NULL) {
		err_set(e, "abuse script reply is not %zu elements",
			n * AR_REPLY_PER_SEC);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct abuse_sec *s = &c->secs[idx[i]];
		const redisReply *t;

		for (j = 0; j < ABUSE_NUMS; j++) {
			const redisReply *x =
				rep->element[i * AR_REPLY_PER_SEC + j];

			if (x == NULL || x->type != REDIS_REPLY_INTEGER ||
			    x->integer < 0) {
				err_set(e, "abuse script reply holds a value "
					"of the wrong type or range");
				return -1;
			}
			s->r[j] = (uint64_t)x->integer;
		}
		t = rep->element[i * AR_REPLY_PER_SEC + ABUSE_NUMS];
		if (t == NULL || t->type != REDIS_REPLY_STRING) {
			err_set(e, "abuse script reply lacks its text");
			return -1;
		}
		(void)str_copyn(s->text, sizeof(s->text), t->str,
				t->len < sizeof(s->text) ? t->len
							 : sizeof(s->text) - 1);
	}
	return 0;
}

/* ar_run_group - one script call for the sections idx[0..n) (one slot) */
static int
ar_run_group(struct ar_backend *b, struct abuse_call *c, const size_t *idx,
	     size_t n, struct err *e)
{
	struct ar_args keys;
	struct ar_args args;
	const char **argv = NULL;
	size_t *lens = NULL;
	redisReply *rep;
	char numkeys[16];
	size_t i;
	size_t argc;
	int rc = -1;

	memset(&keys, 0, sizeof(keys));
	memset(&args, 0, sizeof(args));
	ar_pushu(&args, c->now_ms);
	ar_pushu(&args, n);
	ar_pushs(&args, c->peek ? "1" : "0");
	for (i = 0; i < n; i++) {
		if (ar_sec(b->prefix, c, &c->secs[idx[i]], &keys, &args) < 0) {
			err_set(e, "abuse: a key is too long");
			goto out;
		}
	}
	argc = 1 + keys.n + args.n;
	if (argc > RCONN_MAX_ARGS) {
		err_set(e, "abuse: too many arguments (%zu)", argc);
		goto out;
	}
	argv = xcalloc(argc, sizeof(*argv));
	lens = xcalloc(argc, sizeof(*lens));
	(void)str_format(numkeys, sizeof(numkeys), "%zu", keys.n);
	argv[0] = numkeys;
	lens[0] = strlen(numkeys);
	for (i = 0; i < keys.n; i++) {
		argv[1 + i] = keys.v[i];
		lens[1 + i] = keys.len[i];
	}
	for (i = 0; i < args.n; i++) {
		argv[1 + keys.n + i] = args.v[i];
		lens[1 + keys.n + i] = args.len[i];
	}
	rep = rconn_call(b->rc, rconn_slot(ar_tag(&c->secs[idx[0]]),
					   strlen(ar_tag(&c->secs[idx[0]]))),
			 &b->script, (int)argc, argv, lens, e);
	if (rep != NULL) {
		rc = ar_parse(rep, c, idx, n, e);
		freeReplyObject(rep);
	}
out:
	free(argv);
	free(lens);
	ar_args_free(&keys);
	ar_args_free(&args);
	return rc;
}

/* ar_run - abuse_backend.run: every section in one call, or (Cluster)
 * one call per slot in the order the sections come */
static int
ar_run(struct abuse_backend *be, struct abuse_call *c, struct err *e)
{
	struct ar_backend *b = (struct ar_backend *)be;
	size_t idx[ABUSE_SECS_MAX];
	size_t ends[ABUSE_SECS_MAX];
	int slot[ABUSE_SECS_MAX];
	size_t ng;
	size_t g;
	size_t i;

	if (c->nsecs == 0)
		return 0;
	for (i = 0; i < c->nsecs; i++) {
		const char *tg = ar_tag(&c->secs[i]);

		slot[i] = rconn_slot(tg, strlen(tg));
	}
	ng = store_group(b->st, slot, c->nsecs, idx, ends);
	for (g = 0, i = 0; g < ng; i = ends[g++])
		if (ar_run_group(b, c, idx + i, ends[g] - i, e) < 0)
			return -1;
	return 0;
}

/* ar_top - abuse_backend.top: the union of the window's buckets */
static int
ar_top(struct abuse_backend *be, uint64_t now_ms, enum abuse_top_by by,
       uint64_t window_ms, size_t max, struct abuse_top_row *rows,
       size_t *n, struct err *e)
{
	struct ar_backend *b = (struct ar_backend *)be;
	const char *fam = by == ABUSE_TOP_SENT ? "sent" : "refused";
	uint64_t bucket = now_ms / ABUSE_BUCKET_MS;
	uint64_t nb = (window_ms + ABUSE_BUCKET_MS - 1) / ABUSE_BUCKET_MS;
	struct ar_args keys;
	struct ar_args args;
	const char **argv = NULL;
	redisReply *rep;
	unsigned long v;
	size_t i;
	int rc = -1;

	*n = 0;
	memset(&keys, 0, sizeof(keys));
	memset(&args, 0, sizeof(args));
	if (nb == 0)
		nb = 1;
	if (nb > AR_DAY_BUCKETS)
		nb = AR_DAY_BUCKETS;
	for (i = 0; i < nb && i <= bucket; i++)
		(void)ar_key(&keys, b->prefix, "top", "%s:%llu", fam,
			     (unsigned long long)(bucket - i));
	(void)ar_key(&keys, b->prefix, "top", "tmp");
	ar_pushu(&args, keys.n);
	for (i = 0; i < keys.n; i++)
		ar_push(&args, keys.v[i], keys.len[i]);
	ar_pushu(&args, max);
	argv = xcalloc(args.n, sizeof(*argv));
	for (i = 0; i < args.n; i++)
		argv[i] = args.v[i];
	rep = rconn_call(b->rc, rconn_slot("top", 3), &b->top_script,
			 (int)args.n, argv, args.len, e);
	if (rep == NULL)
		goto out;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2 != 0 ||
	    rep->elements / 2 > max) {
		err_set(e, "top: unexpected reply");
		goto free_rep;
	}
	for (i = 0; i < rep->elements / 2; i++) {
		const redisReply *s = rep->element[2 * i];
		const redisReply *c = rep->element[2 * i + 1];

		if (s->type != REDIS_REPLY_STRING ||
		    c->type != REDIS_REPLY_STRING ||
		    str_to_ulong(c->str, 10, ~0UL, &v) < 0) {
			err_set(e, "top: unexpected reply");
			goto free_rep;
		}
		(void)str_copyn(rows[i].subject, sizeof(rows[i].subject),
				s->str, s->len < sizeof(rows[i].subject)
						? s->len
						: sizeof(rows[i].subject) - 1);
		rows[i].count = v;
	}
	*n = i;
	rc = 0;
free_rep:
	freeReplyObject(rep);
out:
	free(argv);
	ar_args_free(&keys);
	ar_args_free(&args);
	return rc;
}

/* ar_free - abuse_backend.free (the connections are the store's) */
static void
ar_free(struct abuse_backend *be)
{
	free(be);
}

/* abuse_redis_new - the redis backend on the store's connections */
int
abuse_redis_new(struct store *st, struct abuse_backend **out, struct err *e)
{
	struct ar_backend *b = xcalloc(1, sizeof(*b));

	(void)e;
	b->st = st;
	b->rc = store_rconn(st);
	b->prefix = store_prefix(st);
	rconn_script_init(&b->script, abuse_redis_lua);
	rconn_script_init(&b->top_script, abuse_redis_top_lua);
	b->ops.name = "redis";
	b->ops.run = ar_run;
	b->ops.top = ar_top;
	b->ops.free = ar_free;
	*out = &b->ops;
	return 0;
}
