-- abort_mid_body.lua - on one connection: message 1 is aborted (SMFIC_ABORT)
-- in the middle of its body, message 2 after its header fields but before
-- EOH; message 3 is complete.  Message 3 must be signed exactly as if it
-- were alone: two signatures, its own body hash (BH), From once plus the
-- oversigned one, and it must verify.  -D: SOCK LIB BH MSG
dofile(LIB)

local conn = open_conn("127.0.0.1", "localhost")

-- 1: abort in the body
mail_macros(conn, "ABRT0001", nil)
call("MAIL 1", mt.mailfrom(conn, "<first@example.com>"))
expect_reply(conn, SMFIR_CONTINUE, "message 1 MAIL")
for _, h in ipairs(std_headers("First <first@example.com>")) do
	call("header 1", mt.header(conn, h[1], h[2]))
end
call("EOH 1", mt.eoh(conn))
expect_reply(conn, SMFIR_CONTINUE, "message 1 EOH")
call("body 1", mt.bodystring(conn, "first part of message one\r\n"))
call("body 1b", mt.bodystring(conn, "second part of message one\r\n"))
call("abort 1", mt.abort(conn))

-- 2: abort after the header fields, before EOH
mail_macros(conn, "ABRT0002", nil)
call("MAIL 2", mt.mailfrom(conn, "<second@example.com>"))
expect_reply(conn, SMFIR_CONTINUE, "message 2 MAIL")
call("header 2", mt.header(conn, "From", " Second <second@example.com>"))
call("header 2b", mt.header(conn, "Subject", " message two"))
call("abort 2", mt.abort(conn))

-- 3: complete
local headers = {
	{"From", " Third <third@example.com>"},
	{"To", " rcpt@example.net"},
	{"Subject", " message three"},
}
local body = "message three body\r\n"
send_msg(conn, {label = "message 3", qid = "ABRT0003", sender =
    "<third@example.com>", headers = headers, body = body})
local sigs = signatures(conn)
check(#sigs == 2, "message 3: two signatures (got " .. #sigs .. ")")
for i, sig in ipairs(sigs) do
	local t = tags(sig)
	check_sig(conn, sig, "message 3 signature " .. i, {a = t.a,
	    d = "example.com", s = (t.a == "rsa-sha256") and "rsa" or "ed",
	    bh = BH, h = {"to", "subject"}})
	local n = 0
	for _ in (t.h or ""):lower():gmatch("subject") do
		n = n + 1
	end
	check(n == 1, "message 3 signature " .. i ..
	    ": one Subject in h= (nothing left over from message 2)")
end
save_message(MSG, sigs, headers, body)
mt.disconnect(conn)
done()
