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
-- replies worth checking.  open_conn sends HELO at once: miltertest sends
-- a missing HELO by itself before MAIL, after the MAIL macros, and
-- libmilter then forgets those macros (a new HELO starts over).

nfail = 0
SMFIC_EOH = string.byte("N")
SMFIC_BODYEOB = string.byte("E")

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

-- open_conn IP HOST - connect to the filter and send the client's address
function open_conn(ip, host)
	local conn = mt.connect(SOCK, 40, 0.25)
	if conn == nil then
		abort_test("mt.connect(" .. SOCK .. ") failed")
	end
	if not call("conninfo " .. ip, mt.conninfo(conn, host or "client.example",
	    ip)) then
		done()
	end
	if not call("helo", mt.helo(conn, HELO or "client.example")) then
		done()
	end
	return conn
end

-- mail_macros CONN QID LOGIN - the MAIL-stage macros (either may be nil)
function mail_macros(conn, qid, login)
	if qid ~= nil and login ~= nil then
		return call("macro", mt.macro(conn, SMFIC_MAIL, "i", qid,
		    "{auth_authen}", login))
	elseif qid ~= nil then
		return call("macro", mt.macro(conn, SMFIC_MAIL, "i", qid))
	elseif login ~= nil then
		return call("macro", mt.macro(conn, SMFIC_MAIL, "{auth_authen}",
		    login))
	end
	return true
end

-- send_msg CONN M - one message; M has: label, qid, login, sender,
-- headers = {{name, value}, ...}, body, want_mail, want_eoh, want_eom
-- (SMFIR_* codes).  Stops after the first reply that ends the message.
-- Returns the last reply.
function send_msg(conn, m)
	local label = m.label or "message"
	mail_macros(conn, m.qid, m.login)
	if not call(label .. " MAIL", mt.mailfrom(conn,
	    m.sender or "<user@example.com>")) then
		return nil
	end
	expect_reply(conn, m.want_mail or SMFIR_CONTINUE, label .. " MAIL")
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		return mt.getreply(conn)
	end
	for _, h in ipairs(m.headers or {}) do
		if not call(label .. " header " .. h[1], mt.header(conn, h[1],
		    h[2])) then
			return nil
		end
	end
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
