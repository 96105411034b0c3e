-- untrusted_client.lua - client 192.0.2.7, no SASL login.  A foreign
-- sender passes MAIL (the header From is still to be checked against our
-- domains) and is accepted unsigned at the end of the header.  A second
-- message on the same connection gets the same answer, and so does a
-- client on IPv6 (logged with its plain address).  One of our domains
-- (example.com, named by the SigningTable) is refused: at MAIL in the
-- envelope, at the end of the header in From.  The senders carry QSFX, so
-- that the two runs' log lines stay apart.
dofile(LIB)

local conn = open_conn("192.0.2.7", "mx.example.net")
for n = 1, 2 do
	send_msg(conn, {label = "untrusted " .. n, qid = "UNTR000" .. n,
	    sender = "<bob" .. n .. QSFX .. "@example.net>",
	    headers = std_headers("Bob <bob" .. n .. QSFX .. "@example.net>"),
	    want_eoh = SMFIR_ACCEPT})
end
send_msg(conn, {label = "our domain in MAIL FROM", qid = "UNTR0004",
    sender = "<bob4" .. QSFX .. "@example.com>", headers = std_headers(),
    want_mail = SMFIR_REPLYCODE})
send_msg(conn, {label = "our domain in From", qid = "UNTR0005",
    sender = "<bob5" .. QSFX .. "@example.net>",
    headers = std_headers("Boss <ceo@example.com>"),
    want_eoh = SMFIR_REPLYCODE})
mt.disconnect(conn)

-- an IPv6 client: Sendmail's {client_addr} says "IPv6:2001:db8::7", the
-- connect information the plain address
local conn6 = open_conn("2001:db8::7", "mx6.example.net")
send_msg(conn6, {label = "untrusted IPv6", qid = "UNTR0003",
    sender = "<bob3" .. QSFX .. "@example.net>",
    headers = std_headers("Bob <bob3" .. QSFX .. "@example.net>"),
    want_eoh = SMFIR_ACCEPT})
mt.disconnect(conn6)
done()
