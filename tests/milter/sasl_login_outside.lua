-- sasl_login_outside.lua - client 192.0.2.7 outside internal_hosts but
-- SASL-authenticated ({auth_authen} at MAIL): signed with both keys.
-- Then the same connection, next message without a login: not trusted
-- (the login is per message, it must not stick to the connection; the
-- MTA's MAIL macros of that message replace the first one's).
dofile(LIB)

local conn = open_conn("192.0.2.7", "mx.example.net")
send_msg(conn, {label = "login", qid = "SASL0001", login = "alice",
    headers = std_headers()})
local sigs = signatures(conn)
check(#sigs == 2, "two DKIM-Signature fields (got " .. #sigs .. ")")
for i, sig in ipairs(sigs) do
	local t = tags(sig)
	check(t.d == "example.com" and (t.a == "rsa-sha256" or
	    t.a == "ed25519-sha256"), "signature " .. i .. ": d=" ..
	    tostring(t.d) .. " a=" .. tostring(t.a))
end
send_msg(conn, {label = "no login", qid = "SASL0002",
    sender = "<nologin" .. QSFX .. "@example.com>",
    headers = std_headers(), want_mail = SMFIR_ACCEPT})
mt.disconnect(conn)
done()
