-- untrusted_client.lua - client 192.0.2.7, no SASL login: the filter
-- accepts at MAIL (nothing more for this message), and nothing is signed.
-- A second message on the same connection gets the same answer.  The
-- senders carry QSFX, so that the Postfix run's NOQUEUE lines stay apart.
dofile(LIB)

local conn = open_conn("192.0.2.7", "mx.example.net")
for n = 1, 2 do
	send_msg(conn, {label = "untrusted " .. n, qid = "UNTR000" .. n,
	    sender = "<bob" .. n .. QSFX .. "@example.com>",
	    headers = std_headers(), want_mail = SMFIR_ACCEPT})
end
mt.disconnect(conn)
done()
