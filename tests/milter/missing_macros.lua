-- missing_macros.lua - the MTA sends no macros at all (no "i", no
-- {auth_authen}, no "j"): a trusted message is still signed and logged as
-- NOQUEUE; an untrusted one is let go unsigned as NOQUEUE too.  Then "i" arriving
-- only with EOH, or only with EOM (some MTAs know the queue id late), and
-- "i" only at the first stage this MTA knows it and never again (Sendmail:
-- MAIL FROM; Postfix: DATA).  Senders and ids carry QSFX.
dofile(LIB)

local conn = open_conn("127.0.0.1", "localhost", {no_macros = true})
send_msg(conn, {label = "no macros", sender = "<nomacro" .. QSFX ..
    "@example.com>", headers = std_headers(), no_macros = true})
check(#signatures(conn) == 2, "no macros: signed twice")

-- part - one message whose only "i" comes with STAGE (after MAIL)
local function part(label, sender, stage, id)
	call("MAIL", mt.mailfrom(conn, sender))
	expect_reply(conn, SMFIR_CONTINUE, label .. ": MAIL")
	-- RCPT before the DATA macro: libmilter forgets the macros of the
	-- later stages at each command (miltertest would fill RCPT in after)
	if not mt.test_option(conn, SMFIP_NORCPT) then
		call("RCPT", mt.rcptto(conn, "<rcpt@example.net>"))
	end
	if stage == SMFIC_DATA then
		call("DATA macro", mt.macro(conn, SMFIC_DATA, "i", id))
	end
	for _, h in ipairs(std_headers()) do
		call("header", mt.header(conn, h[1], h[2]))
	end
	if stage == SMFIC_EOH then
		call("EOH macro", mt.macro(conn, SMFIC_EOH, "i", id))
	end
	call("EOH", mt.eoh(conn))
	expect_reply(conn, SMFIR_CONTINUE, label .. ": EOH")
	call("body", mt.bodystring(conn, "hello\r\n"))
	if stage == SMFIC_BODYEOB then
		call("EOM macro", mt.macro(conn, SMFIC_BODYEOB, "i", id))
	end
	call("EOM", mt.eom(conn))
	expect_reply(conn, SMFIR_ACCEPT, label .. ": EOM")
	check(#signatures(conn) == 2, label .. ": signed twice")
end

part("i at EOH", "<eohqid" .. QSFX .. "@example.com>", SMFIC_EOH,
    qid("EOHQID01"))
part("i at EOM", "<eomqid" .. QSFX .. "@example.com>", SMFIC_BODYEOB,
    qid("EOMQID01"))
if MTA == "sendmail" then
	-- MAIL macros first: part() sends MAIL itself
	call("MAIL macro", mt.macro(conn, SMFIC_MAIL, "i", qid("FIRST001")))
	part("i at MAIL only", "<first" .. QSFX .. "@example.com>", nil, nil)
else
	part("i at DATA only", "<first" .. QSFX .. "@example.com>",
	    SMFIC_DATA, qid("FIRST001"))
end
mt.disconnect(conn)

local conn2 = open_conn("192.0.2.7", "mx.example.net", {no_macros = true})
send_msg(conn2, {label = "untrusted, no macros", sender = "<nomacro2" ..
    QSFX .. "@example.net>",
    headers = std_headers("N <nomacro2" .. QSFX .. "@example.net>"),
    no_macros = true, want_eoh = SMFIR_ACCEPT})
mt.disconnect(conn2)
done()
