/* SPDX-License-Identifier: BSD-2-Clause */
#include "limit_redis.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "rconn.h"
#include "store.h"
#include "str.h"
#include "tspec.h"
#include "xalloc.h"


#define LR_CLOCK_RTT_MS 50	/* slower replies teach nothing of clocks */

/* The module (redis/relayguard_redis.c), per backend: not tried yet, in
 * use, or absent (the script is used) */
enum {
	LR_MOD_TRY,
	LR_MOD_YES,
	LR_MOD_NO,
};

/*
 * The script.  KEYS: the transaction's tombstone and the queue id's
 * marker (under the call's first subject: the subjects of one call are
 * counted together; the same key twice: no queue id), then each
 * subject's hash.  ARGV: op (C check, R reserve, U undo, M commit, X
 * release, S settle), the lease field (l:TXN), the recipient's hash, the
 * numbers (below), then per subject its limit names in a row (one HMGET
 * reads them with unpack: no table built for it).  The numbers are one
 * binary argument read by struct.unpack, little-endian 8-byte unsigned
 * integers unless said otherwise (Lua's tonumber reads a decimal text
 * with strtod, twice; struct.unpack costs next to nothing): now
 * in ms (0: the server's TIME), the deadline in ms (0: none), the lease
 * time and the tombstone ttl in ms, units of messages, recipients and
 * bytes; then per subject its number of limits (1 byte) and per limit
 * the counter (1 byte: 0 messages, 1 recipients, 2 bytes, 3 parallel; 4
 * more for a dry-run limit), amount, period ms, quantum ms.  Reply: code
 * (0 ok, 1 over, 2 duplicate, 3 stale, 4 late: nothing done, no rows),
 * the server's time in ms (its clock against ours: see lr_run), then per
 * limit: state (0 ok, 1 over, 2 dry-run over), used (the bucket plus the
 * open leases), amount, period ms, retry ms, reset ms.
 *
 * A subject's hash holds per limit its bucket (NAME: "USED LEVEL TIME
 * TU", followed by " o AMOUNT PERIOD QUANTUM UNTIL" when an override is
 * set; UNTIL 0: no end), per open transaction its lease (l:TXN: "DEADLINE
 * M R B", the first subject's followed by its recipients' hashes), and R:
 * the units of all open leases, their first and last deadlines, and the
 * expiry last set on the hash ("M R B FIRST LAST EXPIRY": the script
 * extends the TTL only when it must grow, then a lease time beyond).  A
 * reservation counts through its lease, never in a bucket, so a
 * transaction that never finishes (filter killed, client gone) stops
 * counting at its deadline: when FIRST has passed, the next call sweeps
 * the leases and sums them again (then FIRST is at least an eighth of a
 * lease time away: a subject with many abandoned transactions is swept
 * that often at most, so an abandoned lease may count up to an eighth
 * longer).  Only a commit (or a settle) writes the buckets.
 *
 * Cost (measured, tests/bench/limit_bench.sh): EVALSHA turns every
 * argument into a Lua string, and Lua reads a decimal number with strtod,
 * so the arguments are few (4 and the limit names) and their numbers
 * binary; a RESERVE is TIME, one HMGET and one HSET per subject and a GET
 * of the tombstone; a COMMIT adds the HDEL of the lease and the SETs of
 * the tombstone and marker.  The stored values stay text (readable with
 * redis-cli; the same as the script before this one wrote, so relayguards
 * of either version can share a Redis).
 *
 * Late commands: a call that runs after its deadline (the client gave up
 * on it: timeout) changes nothing and answers 4; a RESERVE or UNDO of a
 * finished transaction (tombstone c or x) and a COMMIT of a released one
 * change nothing either (stale), a second COMMIT of a queue id or of a
 * committed transaction only drops its lease (duplicate).
 *
 * It is the C of limit_mem.c, step for step; numbers stay integers below
 * 2^53 (limit_def_set picks the quantum so) and are written with %d,
 * because Redis would turn a Lua number into text with only 14 digits.
 *
 * The "#!lua" line (Redis 7.0 and later) makes Redis check for out of
 * memory before the script starts: without it a script is refused at its
 * first write, and one whose first subject was written already would be
 * cut in the middle (found by t_limit_redis_faults.sh, R6).
 */
const char limit_redis_lua[] =
"#!lua\n"
"local op,lf,rh,N=ARGV[1],ARGV[2],ARGV[3],ARGV[4]\n"
"local su=struct.unpack\n"
"local now,dl,lt,ttl,u1,u2,u3,pos=su('<I8I8I8I8I8I8I8',N)\n"
"if now==0 then local t=redis.call('TIME')\n"
" now=t[1]*1000+math.floor(t[2]/1000) end\n"
"if dl>0 and now>dl then return {4,now} end\n"
"local ns=#KEYS-2\n"
"local hasq=KEYS[1]~=KEYS[2]\n"
"local match,find,floor=string.match,string.find,math.floor\n"
"local function fdiv(a,b) local q=floor(a/b) local r=a-q*b\n"
" if r<0 then q=q-1 elseif r>=b then q=q+1 end return q end\n"
"local function cdiv(a,b) local q=fdiv(a,b) if q*b<a then q=q+1 end\n"
" return q end\n"
"-- pass 1, per subject (G, 16 slots each): where its limits are in N,\n"
"-- their count, the open leases' units m r b, their first and last\n"
"-- deadline, the hash's expiry as last set, whether leases were swept,\n"
"-- this transaction's lease d m r b, then (pass 2) whether an override\n"
"-- has no end and the latest end of one, and ARGV's index of its names\n"
"-- the tables are made at their usual size (two subjects, four limits):\n"
"-- growing them, and the garbage that leaves, costs more than the zeros\n"
"local G={0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}\n"
"local HV={false,false}\n"
"local hs=''\n"
"local p=5\n"
"for i=1,ns do\n"
" local nl=su('<B',N,pos)\n"
" local k=KEYS[2+i]\n"
" local v=redis.call('HMGET',k,'R',lf,unpack(ARGV,p,p+nl-1))\n"
" local g=16*(i-1)\n"
" local rm,rr,rb,nx,ly,ex=0,0,0,0,0,0\n"
" local sw=false\n"
" local r1=v[1]\n"
" if r1 then local a,b,c,d,e,f=match(r1,\n"
"  '^(%d+) (%d+) (%d+) (%d+) (%d+) (%d+)$')\n"
"  if a then rm,rr,rb,nx,ly,ex=tonumber(a),tonumber(b),tonumber(c),\n"
"   tonumber(d),tonumber(e),tonumber(f) end end\n"
" if nx>0 and nx<=now then\n"
"  -- a lease ran out (its transaction will not finish): sweep them all\n"
"  local all=redis.call('HGETALL',k)\n"
"  rm,rr,rb,nx,ly=0,0,0,0,0\n"
"  for x=1,#all,2 do\n"
"   local f=all[x]\n"
"   if find(f,'l:',1,true)==1 then\n"
"    local d,m,r,b=match(all[x+1],'^(%d+) (%d+) (%d+) (%d+)')\n"
"    d=tonumber(d)\n"
"    if not d or d<=now then redis.call('HDEL',k,f)\n"
"     if f==lf then v[2]=false end\n"
"    else rm,rr,rb=rm+m,rr+r,rb+b if nx==0 or d<nx then nx=d end\n"
"     if d>ly then ly=d end end\n"
"   end\n"
"  end\n"
"  -- the next sweep an eighth of a lease time away at the soonest: a\n"
"  -- subject with many abandoned transactions is not swept on every call\n"
"  if nx>0 and nx<now+lt/8 then nx=now+floor(lt/8) end\n"
"  sw=true\n"
" end\n"
" local d,m,r,b,h\n"
" if v[2] then d,m,r,b,h=match(v[2],'^(%d+) (%d+) (%d+) (%d+)(.*)$') end\n"
" if d then d=tonumber(d) end\n"
" if d and d>now then m,r,b=tonumber(m),tonumber(r),tonumber(b)\n"
"  if i==1 then hs=h end\n"
" else d,m,r,b=0,0,0,0 end\n"
" G[g+1],G[g+2],G[g+3],G[g+4],G[g+5],G[g+6],G[g+7],G[g+8],G[g+9],G[g+10],\n"
"  G[g+11],G[g+12],G[g+13],G[g+14],G[g+15],G[g+16]=\n"
"  pos+1,nl,rm,rr,rb,nx,ly,ex,sw,d,m,r,b,false,0,p\n"
" HV[i]=v\n"
" pos=pos+1+25*nl\n"
" p=p+nl\n"
"end\n"
"-- the transaction: open (its lease), finished (a tombstone), or new\n"
"local tomb=false\n"
"local dup=false\n"
"local stale=false\n"
"local rep=false\n"
"if op=='M' or op=='S' then\n"
" if G[10]==0 and hasq then local t=redis.call('MGET',KEYS[1],KEYS[2])\n"
"  tomb=t[1] dup=t[2]~=false\n"
" elseif G[10]==0 then tomb=redis.call('GET',KEYS[1])\n"
" elseif hasq then dup=redis.call('EXISTS',KEYS[2])==1 end\n"
" dup=dup or tomb=='c'\n"
"elseif op~='C' and G[10]==0 then tomb=redis.call('GET',KEYS[1]) end\n"
"local a1,a2,a3=0,0,0\n"
"local pm=G[12]\n"
"if op=='C' then a1,a2,a3,pm=u1,u2,u3,u2\n"
"elseif op=='R' then\n"
" if tomb then stale=true\n"
" elseif rh~='' and find(hs,' '..rh,1,true) then rep=true\n"
" else if G[11]==0 then a1=u1 end a2=u2 if G[13]==0 then a3=u3 end\n"
"  pm=G[12]+u2 end\n"
"elseif op=='U' then\n"
" if tomb then stale=true\n"
" elseif G[10]==0 or not find(hs,' '..rh,1,true) then rep=true\n"
" else pm=G[12]-1 end\n"
"elseif op=='M' then\n"
" if tomb=='x' and not dup then stale=true\n"
" elseif not dup then a1,a2,a3,pm=u1,u2,u3,u2 end\n"
"elseif op=='S' then\n"
" if not dup then a1,a2,a3,pm=u1,u2,u3,u2 end\n"
"end\n"
"local final=(op=='M' or op=='S') and not dup and not stale\n"
"-- pass 2, per limit (L, 9 slots each): level s and time t drained up to\n"
"-- now, the counter (0 m, 1 r, 2 b, 3 p), amount, period, quantum (an\n"
"-- override's, while it lasts), state, when the units would fit (a\n"
"-- refusal's retry), the override text\n"
"local L={0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,\n"
" 0,0,0}\n"
"local over=false\n"
"local x=0\n"
"for i=1,ns do\n"
" local g=16*(i-1)\n"
" local q,nl=G[g+1],G[g+2]\n"
" local v=HV[i]\n"
" -- the others' leases count against every limit; this one's too,\n"
" -- unless it becomes final now\n"
" local hm,hr,hb=G[g+3],G[g+4],G[g+5]\n"
" if final then hm,hr,hb=hm-G[g+11],hr-G[g+12],hb-G[g+13] end\n"
" for j=0,nl-1 do\n"
"  local c,am,pe,un=su('<BI8I8I8',N,q)\n"
"  q=q+25\n"
"  local dry=c>=4\n"
"  if dry then c=c-4 end\n"
"  local s,t=0,now\n"
"  local ov=''\n"
"  local bv=v[3+j]\n"
"  if bv then\n"
"   local s0,t0,u0,o=match(bv,'^%d+ (%d+) (%d+) (%d+)(.*)$')\n"
"   if o and o~='' then\n"
"    ov=o\n"
"    local oa,oq,ou,oe=match(o,'^ o (%d+) (%d+) (%d+) (%d+)$')\n"
"    if oa then oe=tonumber(oe) end\n"
"    if oa and (oe==0 or oe>now) then\n"
"     am,pe,un=tonumber(oa),tonumber(oq),tonumber(ou)\n"
"     if oe==0 then G[g+14]=true elseif oe-now>G[g+15] then\n"
"      G[g+15]=oe-now end\n"
"    end\n"
"   end\n"
"   if c~=3 and s0 and s0~='0' then\n"
"    local tu=pe/un\n"
"    s,t=tonumber(s0),tonumber(t0)\n"
"    local stu=tonumber(u0)\n"
"    if stu~=tu and stu>0 then s=cdiv(s*tu,stu) end\n"
"    if now>t then local k=fdiv(now-t,un)\n"
"     if k>0 then local d=k*am\n"
"      if d>=s then s=0 t=now else s=s-d t=t+k*un end end end\n"
"    if s==0 then t=now end\n"
"   end\n"
"  end\n"
"  local tu=1\n"
"  if c~=3 then tu=pe/un end\n"
"  local n,h=0,0\n"
"  if c==0 then n,h=a1,hm elseif c==1 then n,h=a2,hr\n"
"  elseif c==2 then n,h=a3,hb end\n"
"  local bad\n"
"  if op=='S' then bad=false\n"
"  elseif c==3 then bad=a2>0 and pm>am\n"
"  else bad=n>0 and s+(h+n)*tu>am*tu end\n"
"  local st,rt=0,0\n"
"  if bad then\n"
"   if dry then st=2 else st=1 over=true end\n"
"   if c==3 then rt=0\n"
"   elseif n+h>am or am==0 then rt=pe\n"
"   else local at=t+cdiv(s+(n+h)*tu-am*tu,am)*un\n"
"    if at>now then rt=at-now else rt=1 end end\n"
"  end\n"
"  L[x+1],L[x+2],L[x+3],L[x+4],L[x+5],L[x+6],L[x+7],L[x+8],L[x+9]=\n"
"   s,t,c,am,pe,un,st,rt,ov\n"
"  x=x+9\n"
" end\n"
"end\n"
"-- apply, all or nothing: a refused commit gives its lease back\n"
"if over then final=false end\n"
"local drop=op=='X' or (op=='M' and not stale) or (op=='S' and dup) or final\n"
"if op=='U' then drop=not stale and not rep and G[12]<=1 end\n"
"local fmt=string.format\n"
"local out={0,now,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}\n"
"local o=2\n"
"x=0\n"
"for i=1,ns do\n"
" local g=16*(i-1)\n"
" local nl,nb=G[g+2],G[g+16]\n"
" local rm,rr,rb,nx,ly=G[g+3],G[g+4],G[g+5],G[g+6],G[g+7]\n"
" local dirty=G[g+9]\n"
" local lease=nil\n"
" local keep=G[g+15]\n"
" local hset=nil\n"
" if drop and G[g+10]>0 then\n"
"  rm,rr,rb,dirty=rm-G[g+11],rr-G[g+12],rb-G[g+13],true\n"
" elseif op=='R' and not over and not stale and not rep then\n"
"  local d=now+lt\n"
"  lease=fmt('%d %d %d %d',d,G[g+11]+a1,G[g+12]+a2,G[g+13]+a3)\n"
"  if i==1 and rh~='' then lease=lease..hs..' '..rh end\n"
"  rm,rr,rb=rm+a1,rr+a2,rb+a3\n"
"  if nx==0 or d<nx then nx=d end\n"
"  if d>ly then ly=d end\n"
" elseif op=='U' and not stale and not rep and G[g+10]>0 then\n"
"  local nh=''\n"
"  if i==1 then nh=string.gsub(hs,' '..rh,'',1) end\n"
"  lease=fmt('%d %d %d %d',G[g+10],G[g+11],G[g+12]-1,G[g+13])..nh\n"
"  rr=rr-1\n"
" end\n"
" for j=0,nl-1 do\n"
"  local s,t,c,am,pe,un,st,rt,ov=L[x+1],L[x+2],L[x+3],L[x+4],L[x+5],\n"
"   L[x+6],L[x+7],L[x+8],L[x+9]\n"
"  x=x+9\n"
"  if c==3 then\n"
"   out[o+1],out[o+2],out[o+3],out[o+4],out[o+5],out[o+6]=st,pm,am,0,0,0\n"
"  else\n"
"   local tu=pe/un\n"
"   local n,h=0,0\n"
"   if c==0 then n,h=a1,rm elseif c==1 then n,h=a2,rr else n,h=a3,rb end\n"
"   if final and n>0 then\n"
"    s=s+n*tu\n"
"    if not hset then hset={} end\n"
"    hset[#hset+1]=ARGV[nb+j]\n"
"    hset[#hset+1]=fmt('%d %d %d %d',cdiv(s,tu),s,t,tu)..ov\n"
"   end\n"
"   local rs=0\n"
"   if s>0 then if am==0 then rs=pe else rs=t+cdiv(s,am)*un-now\n"
"    if rs<0 then rs=0 end end end\n"
"   if rs>keep then keep=rs end\n"
"   out[o+1],out[o+2],out[o+3],out[o+4],out[o+5],out[o+6]=\n"
"    st,cdiv(s,tu)+h,am,pe,rt,rs\n"
"  end\n"
"  o=o+6\n"
" end\n"
" if hset or lease or dirty then\n"
"  if rm<=0 and rr<=0 and rb<=0 then rm,rr,rb,nx,ly=0,0,0,0,0 end\n"
"  if ly>now and ly-now>keep then keep=ly-now end\n"
"  -- the hash lives as long as its longest-lived field; its expiry is\n"
"  -- moved (a lease time further than needed) only when it must grow\n"
"  local ex=G[g+8]\n"
"  local grow=not G[g+14] and now+keep+1000>ex\n"
"  if grow then ex=now+keep+1000+lt end\n"
"  local rv=fmt('%d %d %d %d %d %d',rm,rr,rb,nx,ly,ex)\n"
"  -- a reservation writes only its lease and R: no table for them\n"
"  if hset then\n"
"   if lease then hset[#hset+1]=lf hset[#hset+1]=lease end\n"
"   hset[#hset+1]='R' hset[#hset+1]=rv\n"
"   redis.call('HSET',KEYS[2+i],unpack(hset))\n"
"  elseif lease then redis.call('HSET',KEYS[2+i],lf,lease,'R',rv)\n"
"  else redis.call('HSET',KEYS[2+i],'R',rv) end\n"
"  if drop and G[g+10]>0 then redis.call('HDEL',KEYS[2+i],lf) end\n"
"  if grow then redis.call('PEXPIRE',KEYS[2+i],ex-now) end\n"
" end\n"
"end\n"
"-- the transaction's end: a tombstone for late commands, a lease time (a\n"
"-- commit without a queue id: the ttl); the queue id's marker against a\n"
"-- second count (another front end, a settle) for the ttl\n"
"if final then\n"
" if hasq then\n"
"  redis.call('SET',KEYS[1],'c','PX',lt)\n"
"  redis.call('SET',KEYS[2],'1','PX',ttl)\n"
" else redis.call('SET',KEYS[1],'c','PX',ttl) end\n"
"elseif op=='X' or (op=='M' and over and not stale) then\n"
" redis.call('SET',KEYS[1],'x','NX','PX',lt)\n"
"end\n"
"for k=o+1,26 do out[k]=nil end\n"
"if over then out[1]=1 elseif dup then out[1]=2\n"
"elseif stale then out[1]=3 end\n"
"return out\n";

/*
 * The administrator's changes (relayguardctl), on one subject's hash:
 * ARGV op O (set an override: NAME "AMOUNT PERIOD QUANTUM UNTIL" TTL_MS,
 * 0: kept until cleared), C (clear overrides) or Z (reset buckets, the
 * overrides kept), each then MAXTTL_MS and the limit names.  An override
 * without an end keeps the hash forever (PERSIST); once none is left the
 * hash gets a TTL again, long enough for any bucket of its plan to empty.
 * The expiry noted in R is forgotten, so the next decision sets one.
 */
const char limit_redis_admin_lua[] =
"local k=KEYS[1]\n"
"local op=ARGV[1]\n"
"local function nox()\n"
" local r=redis.call('HGET',k,'R')\n"
" if r then\n"
"  local a=string.match(r,'^(%d+ %d+ %d+ %d+ %d+) %d+$')\n"
"  if a then redis.call('HSET',k,'R',a..' 0') end\n"
" end\n"
"end\n"
"if op=='O' then\n"
" local v=redis.call('HGET',k,ARGV[2]) or '0 0 0 0'\n"
" v=string.gsub(v,' o .*$','')..' o '..ARGV[3]\n"
" local e=redis.call('EXISTS',k)\n"
" local t=redis.call('PTTL',k)\n"
" redis.call('HSET',k,ARGV[2],v)\n"
" local ttl=tonumber(ARGV[4])\n"
" if ttl==0 then redis.call('PERSIST',k)\n"
" elseif e==0 or (t>=0 and t<ttl) then redis.call('PEXPIRE',k,ARGV[4]) "
"end\n"
" nox()\n"
" return 1\n"
"end\n"
"for i=3,#ARGV do\n"
" local v=redis.call('HGET',k,ARGV[i])\n"
" if v then\n"
"  local b,o=string.match(v,'^(%d+ %d+ %d+ %d+)(.*)$')\n"
"  if op=='C' then v=b else v='0 0 0 0'..(o or '') end\n"
"  if not b or v=='0 0 0 0' then redis.call('HDEL',k,ARGV[i])\n"
"  else redis.call('HSET',k,ARGV[i],v) end\n"
" end\n"
"end\n"
"if redis.call('PTTL',k)==-1 then\n"
" local all=redis.call('HGETALL',k)\n"
" local perm=false\n"
" for i=2,#all,2 do\n"
"  if string.match(all[i],' o %d+ %d+ %d+ 0$') then perm=true end\n"
" end\n"
" if not perm then redis.call('PEXPIRE',k,ARGV[2]) end\n"
"end\n"
"nox()\n"
"return 1\n";

struct lr_backend {
	struct limit_backend ops;	/* first: the backend is cast to it */
	struct store *st;		/* borrowed from the limiter */
	struct rconn *rc;		/* the store's */
	struct rconn_script script;
	struct rconn_script admin;
	const char *prefix;		/* the store's */
	atomic_int module;		/* LR_MOD_* */
};

/* limit_redis_cmd_init - an empty command */
void
limit_redis_cmd_init(struct limit_redis_cmd *cmd)
{
	limit_redis_cmd_free(cmd);
}

/* limit_redis_cmd_free - forget a command (it owns no memory) */
void
limit_redis_cmd_free(struct limit_redis_cmd *cmd)
{
	cmd->argc = 0;
	cmd->used = 0;
	cmd->nrows = 0;
}

/* lr_push - one more argument, copied into the arena */
static int
lr_push(struct limit_redis_cmd *cmd, const char *s, size_t len)
{
	if ((size_t)cmd->argc == LIMIT_REDIS_ARGS ||
	    cmd->used + len + 1 > sizeof(cmd->arena))
		return -1;
	memcpy(cmd->arena + cmd->used, s, len);
	cmd->arena[cmd->used + len] = '\0';
	cmd->argv[cmd->argc] = cmd->arena + cmd->used;
	cmd->lens[cmd->argc++] = len;
	cmd->used += len + 1;
	return 0;
}

/* lr_pushs - one more argument, a C string */
static int
lr_pushs(struct limit_redis_cmd *cmd, const char *s)
{
	return lr_push(cmd, s, strlen(s));
}

/* lr_pushu - one more argument, a number in decimal */
static int
lr_pushu(struct limit_redis_cmd *cmd, uint64_t v)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return lr_push(cmd, buf + i, sizeof(buf) - i);
}

/* lr_pushk - one more argument: "PREFIX:{SUBJECT}", then a ':' and the
 * suffix when one is given */
static int
lr_pushk(struct limit_redis_cmd *cmd, const char *prefix, const char *subject,
	 const char *suffix, const char *id)
{
	char key[LIMIT_SUBJECT_MAX + LIMIT_ID_MAX + 80];

	if (limit_redis_key(prefix, subject, suffix, key, sizeof(key)) < 0)
		return -1;
	if (id != NULL) {
		size_t n = strlen(key);

		if (str_copy(key + n, sizeof(key) - n, id) < 0)
			return -1;
	}
	return lr_pushs(cmd, key);
}

/* limit_redis_key - "PREFIX:{SUBJECT}" (the subject's hash), or with a
 * suffix "PREFIX:{SUBJECT}:SUFFIX" */
int
limit_redis_key(const char *prefix, const char *subject, const char *suffix,
		char *out, size_t size)
{
	size_t n;

	if (limit_join(out, size, prefix, ":{", subject) < 0)
		return -1;
	n = strlen(out);
	if (suffix == NULL || suffix[0] == '\0')
		return limit_join(out + n, size - n, "}", "", "");
	return limit_join(out + n, size - n, "}:", suffix, "");
}

/* lr_counter - the counter's number in the script, 4 more for a dry-run
 * limit */
static unsigned char
lr_counter(const struct limit_def *d)
{
	unsigned char n;

	switch (d->counter) {
	case LIMIT_MESSAGES:
		n = 0;
		break;
	case LIMIT_RECIPIENTS:
		n = 1;
		break;
	case LIMIT_BYTES:
		n = 2;
		break;
	default:
		n = 3;
		break;
	}
	return (unsigned char)(d->dry_run ? n + 4 : n);
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
	case LIMIT_SETTLE:
		return "S";
	default:
		return "X";
	}
}

/* lr_num - v as the script's 8-byte little-endian integer at out; the
 * end */
static unsigned char *
lr_num(unsigned char *out, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		*out++ = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	return out;
}

/* lr_nums - the numbers argument (see the script) for subjects [first,
 * first + count) of c, the deadline dl; its length */
static size_t
lr_nums(const struct limit_call *c, size_t first, size_t count, uint64_t dl,
	unsigned char *out)
{
	unsigned char *p = out;
	size_t i;
	size_t j;

	p = lr_num(p, c->now_ms);
	p = lr_num(p, dl);
	p = lr_num(p, c->lease_ms);
	p = lr_num(p, c->ttl_ms);
	p = lr_num(p, c->units[0]);
	p = lr_num(p, c->units[1]);
	p = lr_num(p, c->units[2]);
	for (i = first; i < first + count; i++) {
		const struct limit_call_subject *s = &c->subjects[i];

		*p++ = (unsigned char)s->ndefs;
		for (j = 0; j < s->ndefs; j++) {
			*p++ = lr_counter(&s->defs[j]);
			p = lr_num(p, s->defs[j].amount);
			p = lr_num(p, s->defs[j].period_ms);
			p = lr_num(p, s->defs[j].unit_ms);
		}
	}
	return (size_t)(p - out);
}

/* lr_args - EVALSHA arguments (after the sha) for subjects [first, first
 * + count) of c, the deadline moved by skew_ms (the server's clock) */
static int
lr_args(const char *prefix, const struct limit_call *c, size_t first,
	size_t count, int64_t skew_ms, struct limit_redis_cmd *cmd,
	struct err *e)
{
	unsigned char nums[LIMIT_REDIS_NUMS];
	char lf[LIMIT_ID_MAX + 4];
	const char *s1;
	uint64_t dl = c->deadline_ms;
	size_t i;
	size_t j;

	if (dl != 0) {
		if (skew_ms < 0 && (uint64_t)-skew_ms >= dl)
			dl = 1;
		else
			dl = (uint64_t)((int64_t)dl + skew_ms);
	}
	limit_redis_cmd_free(cmd);
	if (first + count > c->nsubjects || count == 0) {
		err_set(e, "limit_redis_args: no subjects");
		return -1;
	}
	s1 = c->subjects[first].key;
	cmd->nrows = 0;
	if (lr_pushu(cmd, 2 + count) < 0 ||
	    lr_pushk(cmd, prefix, s1, "t:", c->txn) < 0 ||
	    lr_pushk(cmd, prefix, s1, c->qid[0] ? "q:" : "t:",
		     c->qid[0] ? c->qid : c->txn) < 0)
		goto full;
	for (i = first; i < first + count; i++)
		if (lr_pushk(cmd, prefix, c->subjects[i].key, NULL, NULL) < 0)
			goto full;
	if (limit_join(lf, sizeof(lf), "l:", c->txn, "") < 0 ||
	    lr_pushs(cmd, lr_op(c->op)) < 0 || lr_pushs(cmd, lf) < 0 ||
	    lr_pushs(cmd, c->rcpt) < 0 ||
	    lr_push(cmd, (const char *)nums,
		    lr_nums(c, first, count, dl, nums)) < 0)
		goto full;
	for (i = first; i < first + count; i++) {
		const struct limit_call_subject *s = &c->subjects[i];

		for (j = 0; j < s->ndefs; j++)
			if (lr_pushs(cmd, s->defs[j].name) < 0)
				goto full;
		cmd->nrows += s->ndefs;
	}
	cmd->slot = rconn_slot(s1, strlen(s1));
	return 0;
full:
	err_set(e, "limit_redis_args: arguments too long");
	limit_redis_cmd_free(cmd);
	return -1;
}

/* limit_redis_args - EVALSHA arguments (after the sha) for subjects
 * [first, first + count) of c; see limit_redis.h */
int
limit_redis_args(const char *prefix, const struct limit_call *c,
		 size_t first, size_t count, struct limit_redis_cmd *cmd,
		 struct err *e)
{
	return lr_args(prefix, c, first, count, 0, cmd, e);
}

/* lr_put - n in decimal at out (room for 20 digits); the digits' end */
static char *
lr_put(char *out, uint64_t n)
{
	char tmp[20];
	size_t i = 0;

	do {
		tmp[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	while (i > 0)
		*out++ = tmp[--i];
	return out;
}

/* lr_resp - the command as Redis reads it (RESP): the two head words
 * (EVALSHA and the sha, or the module's command and protocol), then the
 * arguments; its length, 0 when it does not fit in size */
static size_t
lr_resp(const struct limit_redis_cmd *cmd, const char *w1, const char *w2,
	char *out, size_t size)
{
	const char *head[2] = {w1, w2};
	char *p = out;
	char *end = out + size;
	int i;

	if (size < 64 + 40)
		return 0;
	*p++ = '*';
	p = lr_put(p, (uint64_t)cmd->argc + 2);
	*p++ = '\r';
	*p++ = '\n';
	for (i = 0; i < 2; i++) {
		size_t n = strlen(head[i]);

		*p++ = '$';
		p = lr_put(p, n);
		*p++ = '\r';
		*p++ = '\n';
		memcpy(p, head[i], n);
		p += n;
		*p++ = '\r';
		*p++ = '\n';
	}
	for (i = 0; i < cmd->argc; i++) {
		if ((size_t)(end - p) < cmd->lens[i] + 26)
			return 0;
		*p++ = '$';
		p = lr_put(p, cmd->lens[i]);
		*p++ = '\r';
		*p++ = '\n';
		memcpy(p, cmd->argv[i], cmd->lens[i]);
		p += cmd->lens[i];
		*p++ = '\r';
		*p++ = '\n';
	}
	return (size_t)(p - out);
}

/* limit_redis_resp - the command as Redis reads it (RESP): EVALSHA, sha,
 * then the arguments; its length, 0 when it does not fit in size */
size_t
limit_redis_resp(const struct limit_redis_cmd *cmd, const char *sha,
		 char *out, size_t size)
{
	return lr_resp(cmd, "EVALSHA", sha, out, size);
}

/* limit_redis_resp_module - the same arguments as RELAYGUARD.LIMIT with
 * its protocol (the module) */
size_t
limit_redis_resp_module(const struct limit_redis_cmd *cmd, char *out,
			size_t size)
{
	return lr_resp(cmd, LIMIT_REDIS_MODULE_CMD, LIMIT_REDIS_MODULE_PROTO,
		       out, size);
}

/* limit_redis_parse_ints - a script reply read as integers into a code
 * and rows; the checks of limit_redis_parse */
int
limit_redis_parse_ints(const struct rconn_ints *x, size_t nrows,
		       enum limit_code *code, uint64_t *server_ms,
		       struct limit_row *rows, struct err *e)
{
	static const long long max[6] = {
		LIMIT_STATE_DRY_OVER, 1LL << 62, (long long)LIMIT_AMOUNT_MAX,
		(long long)LIMIT_PERIOD_MAX, 1LL << 62, 1LL << 62,
	};
	size_t i;
	size_t j;

	if (x->type != REDIS_REPLY_ARRAY || x->n == 0) {
		err_set(e, "script reply is not an array (type %d)", x->type);
		return -1;
	}
	if (x->bad || x->v[0] < 0 || x->v[0] > LIMIT_CODE_LATE)
		goto bad;
	*code = (enum limit_code)x->v[0];
	if (x->n < 2) {
		err_set(e, "script reply has %zu elements, expected %zu", x->n,
			2 + 6 * nrows);
		return -1;
	}
	if (x->v[1] < 0)
		goto bad;
	if (server_ms != NULL)
		*server_ms = (uint64_t)x->v[1];
	if (*code == LIMIT_CODE_LATE && x->n == 2)
		return 0;
	if (x->n != 2 + 6 * nrows || *code == LIMIT_CODE_LATE) {
		err_set(e, "script reply has %zu elements, expected %zu", x->n,
			2 + 6 * nrows);
		return -1;
	}
	for (i = 0; i < nrows; i++) {
		const long long *v = &x->v[2 + 6 * i];

		for (j = 0; j < 6; j++)
			if (v[j] < 0 || v[j] > max[j])
				goto bad;
		rows[i].state = (enum limit_state)v[0];
		rows[i].used = (uint64_t)v[1];
		rows[i].amount = (uint64_t)v[2];
		rows[i].period_ms = (uint64_t)v[3];
		rows[i].retry_ms = (uint64_t)v[4];
		rows[i].reset_ms = (uint64_t)v[5];
	}
	return 0;
bad:
	err_set(e, "script reply holds a value of the wrong type or range");
	return -1;
}

/* limit_redis_parse - type-check a script reply; see limit_redis.h */
int
limit_redis_parse(const redisReply *rep, size_t nrows, enum limit_code *code,
		  uint64_t *server_ms, struct limit_row *rows, struct err *e)
{
	struct rconn_ints *x;
	size_t i;
	int rc;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->element == NULL || rep->elements == 0) {
		err_set(e, "script reply is not an array (type %d)",
			rep ? rep->type : -1);
		return -1;
	}
	if (rep->elements > RCONN_INTS_MAX) {
		err_set(e, "script reply has %zu elements, expected %zu",
			rep->elements, 2 + 6 * nrows);
		return -1;
	}
	x = xcalloc(1, sizeof(*x));
	x->type = REDIS_REPLY_ARRAY;
	x->n = rep->elements;
	for (i = 0; i < rep->elements; i++) {
		const redisReply *el = rep->element[i];

		if (el == NULL || el->type != REDIS_REPLY_INTEGER)
			x->bad = true;
		else
			x->v[i] = el->integer;
	}
	rc = limit_redis_parse_ints(x, nrows, code, server_ms, rows, e);
	free(x);
	return rc;
}

/* lr_wall_ms - this host's clock, ms since the epoch */
static int64_t
lr_wall_ms(void)
{
	return (int64_t)tspec_ms(CLOCK_REALTIME);
}

/* lr_module_absent - whether Redis's error says RELAYGUARD.LIMIT did not
 * run (unknown, another protocol, not allowed to this user): then the
 * script is used from now on, and the first time it is logged (info: it
 * is advice, nothing failed; relayguardctl, which logs warnings only,
 * stays quiet) */
static bool
lr_module_absent(struct lr_backend *b, const char *text)
{
	const char *why;
	const char *colon = strstr(text, ": ");
	int node = colon != NULL && colon - text < 80 ? (int)(colon - text)
						      : 0;

	if (strstr(text, "unknown command") != NULL)
		why = "has no RELAYGUARD.LIMIT command (the module is not "
		      "loaded)";
	else if (strstr(text, "RGPROTO") != NULL)
		why = "runs a relayguard module of another protocol (not "
		      LIMIT_REDIS_MODULE_PROTO ")";
	else if (strstr(text, "NOPERM") != NULL &&
		 strstr(text, "relayguard.limit") != NULL)
		why = "does not allow RELAYGUARD.LIMIT to this user (ACL)";
	else
		return false;
	if (atomic_exchange(&b->module, LR_MOD_NO) != LR_MOD_NO)
		log_info("limit: redis %.*s %s: limit decisions run the Lua "
			 "script instead (slower); load the module on every "
			 "Redis node (redis.conf: loadmodule "
			 "/usr/lib/relayguard/relayguard-redis.so, the "
			 "Debian package's) or set limit_redis_module = no",
			 node, node ? text : "server", why);
	return true;
}

/* lr_module_found - RELAYGUARD.LIMIT answered: logged the first time */
static void
lr_module_found(struct lr_backend *b)
{
	int was = LR_MOD_TRY;

	if (atomic_load(&b->module) == LR_MOD_TRY &&
	    atomic_compare_exchange_strong(&b->module, &was, LR_MOD_YES))
		log_info("limit: redis %s: limit decisions run in the "
			 "RELAYGUARD.LIMIT module (protocol "
			 LIMIT_REDIS_MODULE_PROTO ")", rconn_describe(b->rc));
}

/* lr_run - one script call for subjects [first, first + count); -1 when
 * Redis did not answer (*maybe_ran: it may run all the same).  The
 * arguments are built in place and sent as they are, the reply read
 * into integers: nothing is allocated for a decision.
 *
 * The deadline is written in the server's clock (store_clock_skew).  Each
 * quick reply (LR_CLOCK_RTT_MS) tells the server's time when it ran, so
 * the difference of the clocks, to within the round trip (the server's
 * time minus ours when the reply came: never more than the truth, so a
 * deadline is never later than ours).  A call refused as late that came
 * back before our own deadline was refused by a clock that runs ahead:
 * it is sent once more, with the difference it taught. */
static int
lr_run(struct lr_backend *b, const struct limit_call *c, size_t first,
       size_t count, enum limit_code *code, struct limit_row *rows,
       bool *maybe_ran, struct err *e)
{
	struct limit_redis_cmd cmd;
	struct rconn_ints ints;
	struct rconn_req q;
	char resp[LIMIT_REDIS_ARENA + 12 * LIMIT_REDIS_ARGS];
	bool clock = c->now_ms == 0 && c->deadline_ms != 0;
	uint64_t server_ms = 0;
	int64_t sent;
	int64_t got;
	int tries;

	for (tries = 0;; tries++) {
		bool mod = atomic_load(&b->module) != LR_MOD_NO;

		limit_redis_cmd_init(&cmd);
		if (lr_args(b->prefix, c, first, count,
			    clock ? store_clock_skew(b->st) : 0, &cmd, e) < 0)
			return -1;
		memset(&q, 0, sizeof(q));
		q.slot = cmd.slot;
		q.script = mod ? NULL : &b->script;
		q.raw = resp;
		q.rawlen = mod ? limit_redis_resp_module(&cmd, resp,
							 sizeof(resp))
			       : limit_redis_resp(&cmd, b->script.sha, resp,
						  sizeof(resp));
		q.ints = &ints;
		if (q.rawlen == 0) {
			err_set(e, "limit_redis_args: arguments too long");
			return -1;
		}
		sent = lr_wall_ms();
		if (rconn_run(b->rc, &q, e) < 0) {
			if (mod && q.refused && lr_module_absent(b, e->text)) {
				/* nothing ran: the same call as the script */
				tries--;
				continue;
			}
			if (q.maybe_ran)
				*maybe_ran = true;
			return -1;
		}
		got = lr_wall_ms();
		if (mod)
			lr_module_found(b);
		if (limit_redis_parse_ints(&ints, cmd.nrows, code, &server_ms,
					   rows, e) < 0)
			return -1;
		if (!clock || server_ms == 0)
			return 0;
		if ((got >= sent && got - sent <= LR_CLOCK_RTT_MS) ||
		    (*code == LIMIT_CODE_LATE && got < (int64_t)c->deadline_ms))
			store_clock_learn(b->st, (int64_t)server_ms - got);
		if (*code != LIMIT_CODE_LATE || tries > 0 ||
		    got >= (int64_t)c->deadline_ms)
			return 0;
	}
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
	bool ignored;
	size_t ng;
	size_t g;
	size_t i;
	size_t k;
	int rc = 0;

	off[0] = 0;
	for (i = 0; i < c->nsubjects; i++) {
		off[i + 1] = off[i] + c->subjects[i].ndefs;
		slot[i] = rconn_is_cluster(b->rc)
				  ? lr_subject_slot(c->subjects[i].key) : 0;
	}
	/* the rows in use only: the answer is 2 kB, a call has a few */
	a->code = LIMIT_CODE_OK;
	a->maybe_ran = false;
	a->nrows = off[c->nsubjects];
	memset(a->rows, 0, a->nrows * sizeof(a->rows[0]));
	ng = store_group(b->st, slot, c->nsubjects, idx, ends);
	if (ng == 1)
		return lr_run(b, c, 0, c->nsubjects, &a->code, a->rows,
			      &a->maybe_ran, e);
	a->code = LIMIT_CODE_OK;
	for (g = 0, i = 0; g < ng && rc == 0; g++) {
		size_t first = i;

		one = *c;
		one.nsubjects = 0;
		for (; i < ends[g]; i++)
			one.subjects[one.nsubjects++] = c->subjects[idx[i]];
		if (lr_run(b, &one, 0, one.nsubjects, &code, rows,
			   &a->maybe_ran, e) < 0) {
			rc = -1;
			break;
		}
		if (code == LIMIT_CODE_LATE) {
			a->code = code;
			rc = 2;
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
				     &code, rows, &ignored, &ue);
		}
	}
	/* a commit counted in the slots before one that did not answer is
	 * partly done: the caller must not refuse the message, and counts
	 * the rest again (idempotent where it was counted) */
	if (rc < 0 && napplied > 0 &&
	    (c->op == LIMIT_COMMIT || c->op == LIMIT_SETTLE))
		a->maybe_ran = true;
	if (rc == 1)
		a->code = LIMIT_CODE_OVER;
	return rc < 0 ? -1 : 0;
}

/* lr_admin - the admin script on one subject's hash */
static int
lr_admin(struct lr_backend *b, const char *subject, const char **argv,
	 size_t argc, struct err *e)
{
	char key[LIMIT_SUBJECT_MAX + 80];
	const char *av[4 + 2 * LIMIT_PLAN_MAX];
	size_t lens[4 + 2 * LIMIT_PLAN_MAX];
	redisReply *rep;
	size_t i;

	if (limit_redis_key(b->prefix, subject, NULL, key, sizeof(key)) < 0) {
		err_set(e, "key too long");
		return -1;
	}
	av[0] = "1";
	av[1] = key;
	for (i = 0; i < argc; i++)
		av[2 + i] = argv[i];
	for (i = 0; i < 2 + argc; i++)
		lens[i] = strlen(av[i]);
	rep = rconn_call(b->rc, lr_subject_slot(subject), &b->admin,
			 (int)(2 + argc), av, lens, e);
	if (rep == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

/* lr_fields - the plan's limits (all, or the one called name) as hash
 * fields with suffix, into av from av[n]; the new n */
static size_t
lr_fields(const struct limit_def *defs, size_t ndefs, const char *name,
	  const char *suffix, char (*buf)[LIMIT_NAME_MAX + 4], const char **av,
	  size_t n)
{
	size_t i;

	for (i = 0; i < ndefs && i < LIMIT_PLAN_MAX; i++) {
		if (name != NULL && strcmp(name, defs[i].name) != 0)
			continue;
		(void)str_format(buf[i], sizeof(buf[i]), "%s%s", defs[i].name,
				 suffix);
		av[n++] = buf[i];
	}
	return n;
}

/* lr_admin_fields - the admin script's op C or Z on the plan's limits
 * (all, or the one called name) */
static int
lr_admin_fields(struct lr_backend *b, const char *op, const char *subject,
		const struct limit_def *defs, size_t ndefs, const char *name,
		struct err *e)
{
	char buf[LIMIT_PLAN_MAX][LIMIT_NAME_MAX + 4];
	const char *av[2 + LIMIT_PLAN_MAX];
	char ttl[24];
	uint64_t longest = 0;
	size_t n;
	size_t i;

	/* a bucket of the plan is empty one period after its last use */
	for (i = 0; i < ndefs; i++)
		if (defs[i].period_ms > longest)
			longest = defs[i].period_ms;
	(void)str_format(ttl, sizeof(ttl), "%llu",
			 (unsigned long long)longest + 1000);
	av[0] = op;
	av[1] = ttl;
	n = lr_fields(defs, ndefs, name, "", buf, av, 2);
	if (n == 2)
		return 0;
	return lr_admin(b, subject, av, n, e);
}

/* lr_reset - limit_backend.reset: the buckets are emptied (an override
 * stays) */
static int
lr_reset(struct limit_backend *be, const char *subject,
	 const struct limit_def *defs, size_t ndefs, const char *name,
	 struct err *e)
{
	return lr_admin_fields((struct lr_backend *)be, "Z", subject, defs,
			       ndefs, name, e);
}

/* lr_override_clear - limit_backend.override_clear */
static int
lr_override_clear(struct limit_backend *be, const char *subject,
		  const struct limit_def *defs, size_t ndefs, const char *name,
		  struct err *e)
{
	return lr_admin_fields((struct lr_backend *)be, "C", subject, defs,
			       ndefs, name, e);
}

/* lr_override_set - limit_backend.override_set: until (epoch ms, 0: none)
 * and the ttl that keeps the hash that long */
static int
lr_override_set(struct limit_backend *be, const char *subject,
		const struct limit_def *d, uint64_t until_ms, uint64_t ttl_ms,
		struct err *e)
{
	struct lr_backend *b = (struct lr_backend *)be;
	char val[96];
	char ttl[24];
	const char *av[4];

	(void)str_format(val, sizeof(val), "%llu %llu %llu %llu",
			 (unsigned long long)d->amount,
			 (unsigned long long)d->period_ms,
			 (unsigned long long)d->unit_ms,
			 (unsigned long long)until_ms);
	(void)str_format(ttl, sizeof(ttl), "%llu",
			 (unsigned long long)(until_ms ? ttl_ms + 1000 : 0));
	av[0] = "O";
	av[1] = d->name;
	av[2] = val;
	av[3] = ttl;
	return lr_admin(b, subject, av, 4, e);
}

/* lr_free - limit_backend.free (the connections are the store's) */
static void
lr_free(struct limit_backend *be)
{
	free(be);
}

/* limit_redis_call - one decision on the store's Redis outside any
 * limiter (the deferred writes of limit.c); as limit_backend.decide */
int
limit_redis_call(struct store *st, const struct limit_call *c,
		 struct limit_answer *a, struct err *e)
{
	struct lr_backend b;

	memset(&b, 0, sizeof(b));
	b.st = st;
	b.rc = store_rconn(st);
	b.prefix = store_prefix(st);
	/* a deferred write, rare: always the script */
	atomic_init(&b.module, LR_MOD_NO);
	rconn_script_init(&b.script, limit_redis_lua);
	return lr_decide(&b.ops, c, a, e);
}

/* limit_redis_new - the redis backend on the store's connections;
 * module: try RELAYGUARD.LIMIT first (limit_redis_module = auto) */
int
limit_redis_new(struct store *st, bool module, struct limit_backend **out,
		struct err *e)
{
	struct lr_backend *b = xcalloc(1, sizeof(*b));

	(void)e;
	atomic_init(&b->module, module ? LR_MOD_TRY : LR_MOD_NO);
	b->st = st;
	b->rc = store_rconn(st);
	b->prefix = store_prefix(st);
	rconn_script_init(&b->script, limit_redis_lua);
	rconn_script_init(&b->admin, limit_redis_admin_lua);
	b->ops.name = "redis";
	b->ops.decide = lr_decide;
	b->ops.reset = lr_reset;
	b->ops.override_set = lr_override_set;
	b->ops.override_clear = lr_override_clear;
	b->ops.free = lr_free;
	*out = &b->ops;
	return 0;
}
