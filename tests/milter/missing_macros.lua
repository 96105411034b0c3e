-- missing_macros.lua - the MTA sends no macros at all (no "i", no
-- {auth_authen}, no "j"): a trusted message is still signed and logged as
-- NOQUEUE; an untrusted one is refused as NOQUEUE too.  Then "i" arriving
-- only with EOH, or only with EOM (some MTAs know the queue id late).
dofile(LIB)

local conn = open_conn("127.0.0.1", "localhost")
send_msg(conn, {label = "no macros", sender = "<nomacro@example.com>",
    headers = std_headers()})
check(#signatures(conn) == 2, "no macros: signed twice")

-- "i" only at EOH
call("MAIL", mt.mailfrom(conn, "<eohqid@example.com>"))
expect_reply(conn, SMFIR_CONTINUE, "i at EOH: MAIL")
for _, h in ipairs(std_headers()) do
	call("header", mt.header(conn, h[1], h[2]))
end
call("EOH macro", mt.macro(conn, SMFIC_EOH, "i", "EOHQID01"))
call("EOH", mt.eoh(conn))
expect_reply(conn, SMFIR_CONTINUE, "i at EOH: EOH")
call("body", mt.bodystring(conn, "hello\r\n"))
call("EOM", mt.eom(conn))
expect_reply(conn, SMFIR_ACCEPT, "i at EOH: EOM")
check(#signatures(conn) == 2, "i at EOH: signed twice")

-- "i" only at EOM
call("MAIL", mt.mailfrom(conn, "<eomqid@example.com>"))
expect_reply(conn, SMFIR_CONTINUE, "i at EOM: MAIL")
for _, h in ipairs(std_headers()) do
	call("header", mt.header(conn, h[1], h[2]))
end
call("EOH", mt.eoh(conn))
expect_reply(conn, SMFIR_CONTINUE, "i at EOM: EOH")
call("body", mt.bodystring(conn, "hello\r\n"))
call("EOM macro", mt.macro(conn, SMFIC_BODYEOB, "i", "EOMQID01"))
call("EOM", mt.eom(conn))
expect_reply(conn, SMFIR_ACCEPT, "i at EOM: EOM")
check(#signatures(conn) == 2, "i at EOM: signed twice")
mt.disconnect(conn)

local conn2 = open_conn("192.0.2.7", "mx.example.net")
send_msg(conn2, {label = "untrusted, no macros", sender =
    "<nomacro2@example.net>", headers = std_headers("N <nomacro2@example.net>"),
    want_eoh = SMFIR_ACCEPT})
mt.disconnect(conn2)
done()
