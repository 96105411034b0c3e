-- tests/milter/lib.lua - helpers for the miltertest scripts (Lua 5.3).
-- Loaded with dofile(LIB); SOCK and LIB come from miltertest -D.
--
-- miltertest traps this file works around: a Lua error() ends miltertest
-- with status 1 and no message, so every failure is printed ("FAIL: ...")
-- before anything is raised, and a script ends with done(), which prints
-- DONE (lib.sh insists on it) or exits 1.  Never call
-- mt.eom_check(conn, MT_SMTPREPLY) without a code (it crashes) and never
-- send a header value over ~1 kB with mt.header (stack overflow).
--
-- relayguard negotiates SMFIP_NOUNKNOWN and no reply for connect, HELO,
-- header and body (NR_CONN/NR_HELO/NR_HDR/NR_BODY).  miltertest honours
-- that: after those steps it does not read, and mt.getreply() then returns
-- SMFIR_CONTINUE as a placeholder.  So MAIL, RCPT, DATA, EOH and EOM have
-- replies worth checking.  miltertest fills in a skipped step itself (DATA before
-- the first header); open_conn and send_msg send HELO and RCPT only when
-- the filter negotiated them (mt.helo/mt.rcptto fail otherwise), HELO
-- before any MAIL macro: libmilter clears the later stages' macros at HELO.
--
-- MTA (-D MTA=postfix or MTA=sendmail; default postfix) picks whose macro
-- timing open_conn and send_msg play.  Both MTAs send the lists relayguard
-- asks for (smfi_setsymlist), but know the values at different times:
--   i (queue id)   Sendmail: from MAIL FROM on, at every stage.
--                  Postfix: not at MAIL nor at the first RCPT (its queue
--                  file opens once a recipient is accepted), then at DATA,
--                  end of header and end of message.
--   {auth_authen}  both at MAIL FROM.
--   {client_addr}  at connect; an IPv6 client is "IPv6:2001:db8::1" on
--                  Sendmail, "2001:db8::1" on Postfix.
--   {daemon_name}  Sendmail: the listener's Name= ("MTA"); Postfix:
--                  milter_macro_daemon_name ($myhostname).
-- QSFX (-D, default "") is appended to every queue id send_msg sends, so
-- that two runs against one filter log different ids (lib.sh: rg_qsfx).

nfail = 0
SMFIC_EOH = string.byte("N")
SMFIC_BODYEOB = string.byte("E")
SMFIC_DATA = string.byte("T")
MTA = MTA or "postfix"
QSFX = QSFX or ""
if MTA ~= "postfix" and MTA ~= "sendmail" then
	print("FAIL: MTA must be postfix or sendmail, not " .. tostring(MTA))
	os.exit(1)
end

function fail(msg)
	print("FAIL: " .. msg)
	nfail = nfail + 1
	return false
end

function check(cond, msg)
	if cond then
		print("ok: " .. msg)
		return true
	end
	return fail(msg)
end

-- done - end the script: DONE, or exit status 1 after failures
function done()
	if nfail > 0 then
		print(nfail .. " check(s) failed")
		os.exit(1)
	end
	print("DONE")
	os.exit(0)
end

-- abort_test - a failure after which going on makes no sense
function abort_test(msg)
	fail(msg)
	done()
end

local rnames = {}
rnames[SMFIR_CONTINUE] = "continue"
rnames[SMFIR_ACCEPT] = "accept"
rnames[SMFIR_REJECT] = "reject"
rnames[SMFIR_TEMPFAIL] = "tempfail"
rnames[SMFIR_DISCARD] = "discard"
rnames[SMFIR_REPLYCODE] = "replycode"

function rname(r)
	if r == nil then
		return "nil"
	end
	return rnames[r] or string.format("'%s'", string.char(math.floor(r)))
end

-- expect_reply CONN WANT WHAT - the last reply must be WANT
function expect_reply(conn, want, what)
	local r = mt.getreply(conn)
	return check(r == want, string.format("%s: reply %s (want %s)", what,
	    rname(r), rname(want)))
end

-- call WHAT RESULT - mt.* functions return nil or an error text
function call(what, res)
	if res ~= nil then
		return fail(what .. ": " .. tostring(res))
	end
	return true
end

-- qid BASE - the queue id of this run: BASE .. QSFX (nil stays nil)
function qid(base)
	if base == nil then
		return nil
	end
	return base .. QSFX
end

-- connect_macros CONN IP HOST - the connect-stage macros, as MTA sends them
function connect_macros(conn, ip, host)
	local addr = ip
	local daemon = "relay.example"
	if MTA == "sendmail" then
		daemon = "MTA"
		if ip:find(":", 1, true) then
			addr = "IPv6:" .. ip
		end
	end
	return call("connect macros", mt.macro(conn, SMFIC_CONNECT,
	    "j", "relay.example", "_", host .. " [" .. ip .. "]",
	    "{daemon_name}", daemon, "{client_addr}", addr))
end

-- open_conn IP HOST [OPTS] - connect to the filter, send the connect
-- macros (unless OPTS.no_macros), the client's address, and HELO when the
-- filter wants it
function open_conn(ip, host, opts)
	local conn = mt.connect(SOCK, 40, 0.25)
	opts = opts or {}
	host = host or "client.example"
	if conn == nil then
		abort_test("mt.connect(" .. SOCK .. ") failed")
	end
	if not opts.no_macros and not connect_macros(conn, ip, host) then
		done()
	end
	if not call("conninfo " .. ip, mt.conninfo(conn, host, ip)) then
		done()
	end
	if not mt.test_option(conn, SMFIP_NOHELO) and
	    not call("HELO", mt.helo(conn, opts.helo or "client.example")) then
		done()
	end
	return conn
end

-- mail_macros CONN QID LOGIN [SENDER] - the MAIL-stage macros as MTA sends
-- them: i (Sendmail only; QID as given, may be nil) and {auth_authen} (if
-- LOGIN).  A real MTA sends this stage's list with every MAIL, even when
-- empty, and that drops the previous message's values in libmilter;
-- miltertest cannot send an empty list, so {mail_addr} is always added.
function mail_macros(conn, qid, login, sender)
	local addr = (sender or "user@example.com"):gsub("[<>]", "")
	local args = {"{mail_addr}", addr}
	if qid ~= nil and MTA == "sendmail" then
		args[#args + 1] = "i"
		args[#args + 1] = qid
	end
	if login ~= nil then
		args[#args + 1] = "{auth_authen}"
		args[#args + 1] = login
	end
	return call("MAIL macros", mt.macro(conn, SMFIC_MAIL,
	    table.unpack(args)))
end

-- stage_qid CONN STAGE QID - "i" at a stage where both MTAs send it (DATA,
-- end of header, end of message); nothing when QID is nil
function stage_qid(conn, stage, qid)
	if qid == nil then
		return true
	end
	return call("macro i", mt.macro(conn, stage, "i", qid))
end

-- rcpt CONN LABEL QID RCPT WANT - the RCPT stage: its macros (i only on
-- Sendmail: for Postfix this is the first recipient), then RCPT itself
-- when the filter negotiated it, with its reply checked against WANT
function rcpt(conn, label, qid, to, want)
	local addr = to:gsub("[<>]", "")
	if qid ~= nil and MTA == "sendmail" then
		call("RCPT macros", mt.macro(conn, SMFIC_RCPT, "i", qid,
		    "{rcpt_addr}", addr))
	else
		call("RCPT macros", mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}",
		    addr))
	end
	if mt.test_option(conn, SMFIP_NORCPT) then
		return SMFIR_CONTINUE
	end
	if not call(label .. " RCPT", mt.rcptto(conn, to)) then
		return nil
	end
	expect_reply(conn, want or SMFIR_CONTINUE, label .. " RCPT")
	return mt.getreply(conn)
end

-- send_msg CONN M - one message; M has: label, qid (QSFX is added),
-- login, sender, rcpt, headers = {{name, value}, ...}, body, want_mail,
-- want_rcpt, want_eoh, want_eom (SMFIR_* codes), no_macros (send none).
-- The macros come at the stages MTA sends them.  Stops after the first
-- reply that ends the message.  Returns the last reply.
function send_msg(conn, m)
	local label = m.label or "message"
	local q = qid(m.qid)
	local sender = m.sender or "<user@example.com>"
	local r

	if m.no_macros then
		q = nil
	else
		mail_macros(conn, q, m.login, sender)
	end
	if not call(label .. " MAIL", mt.mailfrom(conn, sender)) then
		return nil
	end
	expect_reply(conn, m.want_mail or SMFIR_CONTINUE, label .. " MAIL")
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		return mt.getreply(conn)
	end
	if not m.no_macros then
		r = rcpt(conn, label, q, m.rcpt or "<rcpt@example.net>",
		    m.want_rcpt)
		if r ~= SMFIR_CONTINUE then
			return r
		end
	end
	stage_qid(conn, SMFIC_DATA, q)
	for _, h in ipairs(m.headers or {}) do
		if not call(label .. " header " .. h[1], mt.header(conn, h[1],
		    h[2])) then
			return nil
		end
	end
	stage_qid(conn, SMFIC_EOH, q)
	if not call(label .. " EOH", mt.eoh(conn)) then
		return nil
	end
	expect_reply(conn, m.want_eoh or SMFIR_CONTINUE, label .. " EOH")
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		return mt.getreply(conn)
	end
	if not call(label .. " body", mt.bodystring(conn,
	    m.body or "hello world\r\n")) then
		return nil
	end
	stage_qid(conn, SMFIC_BODYEOB, q)
	if not call(label .. " EOM", mt.eom(conn)) then
		return nil
	end
	expect_reply(conn, m.want_eom or SMFIR_ACCEPT, label .. " EOM")
	return mt.getreply(conn)
end

-- std_headers FROM - a usual header block
function std_headers(from)
	return {
		{"From", " " .. (from or "User <user@example.com>")},
		{"To", " Rcpt <rcpt@example.net>"},
		{"Subject", " relayguard milter test"},
		{"Date", " Mon, 23 Nov 2026 12:00:00 +0000"},
		{"Message-ID", " <test.1@example.com>"},
	}
end

-- tags SIG - the tags of a DKIM-Signature value, white space removed
function tags(sig)
	local t = {}
	local flat = sig:gsub("%s", "")
	for k, v in flat:gmatch("([%w_]+)=([^;]*)") do
		t[k] = v
	end
	return t
end

-- signatures CONN - every DKIM-Signature inserted at EOM, in order
function signatures(conn)
	local sigs = {}
	local i = 0
	while true do
		local v = mt.getheader(conn, "DKIM-Signature", i)
		if v == nil then
			break
		end
		sigs[#sigs + 1] = v
		i = i + 1
	end
	return sigs
end

-- check_sig CONN SIG WHAT WANT - one signature's tags; WANT has a, d, s,
-- bh (optional); checks it was inserted at index 0, From oversigned
function check_sig(conn, sig, what, want)
	local t = tags(sig)
	check(mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature", sig, 0),
	    what .. ": inserted at index 0")
	check(t.v == "1", what .. ": v=1")
	check(t.a == want.a, what .. ": a=" .. tostring(t.a) .. " (want " ..
	    want.a .. ")")
	check(t.d == want.d, what .. ": d=" .. tostring(t.d) .. " (want " ..
	    want.d .. ")")
	check(t.s == want.s, what .. ": s=" .. tostring(t.s) .. " (want " ..
	    want.s .. ")")
	check(t.c == "relaxed/relaxed", what .. ": c=" .. tostring(t.c))
	check(t.b ~= nil and #t.b > 40, what .. ": b= present")
	if want.bh ~= nil then
		check(t.bh == want.bh, what .. ": bh=" .. tostring(t.bh) ..
		    " (want " .. want.bh .. ", the hash of this message's body)")
	end
	local h = (t.h or ""):lower()
	local list = {}
	for name in h:gmatch("[^:]+") do
		list[#list + 1] = name
	end
	local froms = 0
	for _, name in ipairs(list) do
		if name == "from" then
			froms = froms + 1
		end
	end
	check(froms == 2 and list[#list] == "from", what ..
	    ": From oversigned (h=" .. h .. ")")
	for _, name in ipairs(want.h or {}) do
		check(h:find(name, 1, true) ~= nil, what .. ": h= has " .. name)
	end
	return t
end

-- save_message FILE SIGS HEADERS BODY - the message as the MTA would pass
-- it on (signatures on top, newest first), for miltclient.py --verify-file
function save_message(file, sigs, headers, body)
	local f = io.open(file, "wb")
	if f == nil then
		return fail("cannot write " .. file)
	end
	for i = #sigs, 1, -1 do
		f:write("DKIM-Signature:" .. sigs[i]:gsub("\r?\n", "\r\n") .. "\r\n")
	end
	for _, h in ipairs(headers) do
		f:write(h[1] .. ":" .. h[2] .. "\r\n")
	end
	f:write("\r\n" .. body)
	f:close()
	return true
end
