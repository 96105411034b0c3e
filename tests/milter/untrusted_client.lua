-- untrusted_client.lua - client 192.0.2.7, no SASL login: the filter
-- accepts at MAIL (nothing more for this message), and nothing is signed.
-- A second message on the same connection gets the same answer, and so
-- does a client on IPv6 (logged with its plain address).  The
-- senders carry QSFX, so that the Postfix run's NOQUEUE lines stay apart.
dofile(LIB)

local conn = open_conn("192.0.2.7", "mx.example.net")
for n = 1, 2 do
	send_msg(conn, {label = "untrusted " .. n, qid = "UNTR000" .. n,
	    sender = "<bob" .. n .. QSFX .. "@example.com>",
	    headers = std_headers(), want_mail = SMFIR_ACCEPT})
end
mt.disconnect(conn)

-- an IPv6 client: Sendmail's {client_addr} says "IPv6:2001:db8::7", the
-- connect information the plain address
local conn6 = open_conn("2001:db8::7", "mx6.example.net")
send_msg(conn6, {label = "untrusted IPv6", qid = "UNTR0003",
    sender = "<bob3" .. QSFX .. "@example.com>", headers = std_headers(),
    want_mail = SMFIR_ACCEPT})
mt.disconnect(conn6)
done()
