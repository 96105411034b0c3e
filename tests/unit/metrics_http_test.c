/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_http_test - the request parser (rows: request head in,
 * classification out) and the live endpoint on a loopback port: 200 for
 * /metrics, 404 elsewhere, 405, 400, 431, and a silent client dropped
 * after the (shortened) timeout without blocking the next one.
 */
#include "metrics_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "rg_test.h"

struct parse_row {
	const char *name;
	const char *req;
	enum metrics_http_result want;
	bool head;
};

static const struct parse_row parse_rows[] = {
	{"get_metrics_http10", "GET /metrics HTTP/1.0\r\n\r\n",
	 METRICS_HTTP_METRICS, false},
	{"get_metrics_with_headers",
	 "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
	 METRICS_HTTP_METRICS, false},
	{"bare_lf_line_ends_are_accepted", "GET /metrics HTTP/1.1\nHost: x\n\n",
	 METRICS_HTTP_METRICS, false},
	{"head_metrics_is_head", "HEAD /metrics HTTP/1.1\r\n\r\n",
	 METRICS_HTTP_METRICS, true},
	{"query_string_is_ignored", "GET /metrics?name[]=x HTTP/1.1\r\n\r\n",
	 METRICS_HTTP_METRICS, false},
	{"other_path_is_not_found", "GET / HTTP/1.1\r\n\r\n",
	 METRICS_HTTP_NOT_FOUND, false},
	{"longer_path_is_not_found", "GET /metricsx HTTP/1.1\r\n\r\n",
	 METRICS_HTTP_NOT_FOUND, false},
	{"sub_path_is_not_found", "GET /metrics/x HTTP/1.1\r\n\r\n",
	 METRICS_HTTP_NOT_FOUND, false},
	{"post_is_bad_method", "POST /metrics HTTP/1.1\r\n\r\n",
	 METRICS_HTTP_BAD_METHOD, false},
	{"lower_case_method_is_bad_request", "get /metrics HTTP/1.1\r\n\r\n",
	 METRICS_HTTP_BAD_REQUEST, false},
	{"http09_request_is_bad", "GET /metrics\r\n\r\n",
	 METRICS_HTTP_BAD_REQUEST, false},
	{"http2_version_is_bad", "GET /metrics HTTP/2.0\r\n\r\n",
	 METRICS_HTTP_BAD_REQUEST, false},
	{"double_space_is_bad", "GET  /metrics HTTP/1.1\r\n\r\n",
	 METRICS_HTTP_BAD_REQUEST, false},
	{"absolute_form_is_bad", "GET http://h/metrics HTTP/1.1\r\n\r\n",
	 METRICS_HTTP_BAD_REQUEST, false},
	{"control_byte_in_target_is_bad", "GET /me\x01trics HTTP/1.1\r\n\r\n",
	 METRICS_HTTP_BAD_REQUEST, false},
	{"garbage_line_is_bad", "\x16\x03\x01 hello\r\n\r\n",
	 METRICS_HTTP_BAD_REQUEST, false},
	{"missing_empty_line_is_incomplete",
	 "GET /metrics HTTP/1.1\r\nHost: x\r\n", METRICS_HTTP_INCOMPLETE,
	 false},
	{"empty_input_is_incomplete", "", METRICS_HTTP_INCOMPLETE, false},
};

/* test_parse - one row */
static void
test_parse(void **state)
{
	const struct parse_row *r = *state;
	bool head = !r->head;

	assert_int_equal(metrics_http_parse(r->req, strlen(r->req), &head),
			 r->want);
	if (r->want == METRICS_HTTP_METRICS)
		assert_int_equal(head, r->head);
}

/* test_nul_in_head_is_bad - binary data is refused */
static void
test_nul_in_head_is_bad(void **state)
{
	const char req[] = "GET /metrics HTTP/1.1\r\nX: a\0b\r\n\r\n";
	bool head;

	(void)state;
	assert_int_equal(metrics_http_parse(req, sizeof(req) - 1, &head),
			 METRICS_HTTP_BAD_REQUEST);
}

/* test_endless_head_is_too_large - no empty line within the maximum */
static void
test_endless_head_is_too_large(void **state)
{
	static char req[METRICS_HTTP_REQUEST_MAX];
	bool head;

	(void)state;
	memset(req, 'a', sizeof(req));
	assert_int_equal(metrics_http_parse(req, sizeof(req) - 1, &head),
			 METRICS_HTTP_INCOMPLETE);
	assert_int_equal(metrics_http_parse(req, sizeof(req), &head),
			 METRICS_HTTP_TOO_LARGE);
}

/* test_head_response_has_no_body - HEAD: headers only, same length */
static void
test_head_response_has_no_body(void **state)
{
	struct strbuf get;
	struct strbuf head;

	(void)state;
	strbuf_init(&get, 1 << 20);
	strbuf_init(&head, 1 << 20);
	assert_int_equal(metrics_http_response(METRICS_HTTP_METRICS, false,
					       &get), 0);
	assert_int_equal(metrics_http_response(METRICS_HTTP_METRICS, true,
					       &head), 0);
	assert_true(head.len < get.len);
	assert_memory_equal(get.data, head.data, head.len);
	assert_true(rg_has(head.data, "\r\n\r\n"));
	assert_int_equal(strcmp(head.data + head.len - 4, "\r\n\r\n"), 0);
	strbuf_free(&get);
	strbuf_free(&head);
}

/* --- live endpoint ------------------------------------------------------- */

/* start - the endpoint on 127.0.0.1, any free port, 300 ms timeout */
static int
start(void **state)
{
	struct hostport hp;
	struct err e;

	(void)state;
	memset(&hp, 0, sizeof(hp));
	memcpy(hp.host, "127.0.0.1", 10);
	hp.port = 0;
	if (metrics_http_start(&hp, 300, &e) < 0) {
		fprintf(stderr, "%s\n", e.text);
		return -1;
	}
	return metrics_http_port() > 0 ? 0 : -1;
}

/* stop - end the endpoint */
static int
stop(void **state)
{
	(void)state;
	metrics_http_stop();
	return 0;
}

/* dial - a connected socket to the endpoint */
static int
dial(void)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)metrics_http_port());
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* fetch - send req (len bytes) and read the answer until EOF */
static void
fetch(const char *req, size_t len, char *out, size_t size)
{
	int fd = dial();
	size_t got = 0;
	ssize_t n;

	assert_int_equal(write(fd, req, len), (ssize_t)len);
	while (got + 1 < size &&
	       (n = read(fd, out + got, size - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
}

/* test_live_metrics_is_served - a real scrape over TCP */
static void
test_live_metrics_is_served(void **state)
{
	static char out[1 << 16];
	const char *req = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";

	(void)state;
	metrics_reset();
	metrics_signature("ed25519-sha256");
	fetch(req, strlen(req), out, sizeof(out));
	assert_true(rg_has(out, "HTTP/1.0 200 OK\r\n"));
	assert_true(rg_has(out, "Content-Type: text/plain; version=0.0.4"));
	assert_true(rg_has(out, "\r\n\r\n# HELP relayguard_messages_total"));
	assert_true(rg_has(out, "relayguard_signatures_total{algorithm="
				"\"ed25519-sha256\"} 1\n"));
}

struct live_row {
	const char *name;
	const char *req;
	const char *status;
};

static const struct live_row live_rows[] = {
	{"live_other_path_gets_404", "GET /admin HTTP/1.0\r\n\r\n",
	 "HTTP/1.0 404 Not Found\r\n"},
	{"live_post_gets_405_with_allow", "POST /metrics HTTP/1.0\r\n\r\n",
	 "HTTP/1.0 405 Method Not Allowed\r\nContent-Type: text/plain; "
	 "charset=utf-8\r\nContent-Length: 19\r\nAllow: GET, HEAD\r\n"},
	{"live_garbage_gets_400", "hello there\r\n\r\n",
	 "HTTP/1.0 400 Bad Request\r\n"},
};

/* test_live_status - one refused request */
static void
test_live_status(void **state)
{
	const struct live_row *r = *state;
	char out[4096];

	fetch(r->req, strlen(r->req), out, sizeof(out));
	assert_int_equal(strncmp(out, r->status, strlen(r->status)), 0);
	assert_null(strstr(out, "relayguard_"));
}

/* test_live_oversized_request_gets_431 - the read stops at the bound */
static void
test_live_oversized_request_gets_431(void **state)
{
	static char req[METRICS_HTTP_REQUEST_MAX + 100];
	char out[4096];

	(void)state;
	memset(req, 'A', sizeof(req));
	fetch(req, sizeof(req), out, sizeof(out));
	assert_true(rg_has(out, "HTTP/1.0 431 "));
}

/* test_live_silent_client_is_dropped - a client that never finishes its
 * head is disconnected without an answer, and the next one is served */
static void
test_live_silent_client_is_dropped(void **state)
{
	char out[4096];
	const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
	int fd = dial();
	ssize_t n;

	(void)state;
	assert_int_equal(write(fd, "GET /metr", 9), 9);
	n = read(fd, out, sizeof(out));	/* EOF once the timeout passed */
	assert_int_equal(n, 0);
	close(fd);
	fetch(req, strlen(req), out, sizeof(out));
	assert_true(rg_has(out, "HTTP/1.0 200 OK\r\n"));
}

/* start_patient - the endpoint with a 20 s timeout: a silent client
 * stays connected for the whole of a case */
static int
start_patient(void **state)
{
	struct hostport hp;
	struct err e;

	(void)state;
	memset(&hp, 0, sizeof(hp));
	memcpy(hp.host, "127.0.0.1", 10);
	if (metrics_http_start(&hp, 20000, &e) < 0) {
		fprintf(stderr, "%s\n", e.text);
		return -1;
	}
	return 0;
}

/* still_open - the server has not closed fd (no EOF, nothing to read) */
static bool
still_open(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT) < 0 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}

/*
 * test_idle_clients_do_not_block_a_scrape - five clients connect and say
 * nothing (one sent half a request line); a scrape made after them is
 * answered while they are all still connected.  One connection at a time
 * would answer it only once the idle ones were dropped at their deadline.
 */
static void
test_idle_clients_do_not_block_a_scrape(void **state)
{
	static char out[1 << 16];
	const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
	int idle[5];
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++)
		idle[i] = dial();
	assert_int_equal(write(idle[0], "GET /me", 7), 7);
	fetch(req, strlen(req), out, sizeof(out));
	assert_true(rg_has(out, "HTTP/1.0 200 OK\r\n"));
	for (i = 0; i < 5; i++) {
		if (!still_open(idle[i]))
			fail_msg("idle client %zu was dropped before the scrape "
				 "was answered", i);
		close(idle[i]);
	}
}

/* test_full_slots_wait_in_the_queue - every slot held by a silent client:
 * one more scrape waits in the listen queue, and is answered as soon as
 * one idle client leaves */
static void
test_full_slots_wait_in_the_queue(void **state)
{
	static char out[1 << 16];
	const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
	int idle[METRICS_HTTP_CONN_MAX];
	struct pollfd p;
	size_t got = 0;
	ssize_t n;
	int fd;
	size_t i;

	(void)state;
	for (i = 0; i < METRICS_HTTP_CONN_MAX; i++)
		idle[i] = dial();
	fd = dial();	/* accepted by the kernel, waits for a slot */
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	close(idle[0]);	/* frees a slot */
	p.fd = fd;
	p.events = POLLIN;
	while (got + 1 < sizeof(out) && poll(&p, 1, 15000) == 1 &&
	       (n = read(fd, out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	assert_true(rg_has(out, "HTTP/1.0 200 OK\r\n"));
	for (i = 1; i < METRICS_HTTP_CONN_MAX; i++) {
		assert_true(still_open(idle[i]));
		close(idle[i]);
	}
	close(fd);
}

/* add_live - a case with the endpoint running */
static void
add_live(struct rg_cases *c, const char *name, CMUnitTestFunction fn,
	 const void *row)
{
	rg_case_add(c, name, fn, row);
	c->tests[c->count - 1].setup_func = start;
	c->tests[c->count - 1].teardown_func = stop;
}

int
main(void)
{
	static struct rg_cases c;
	size_t i;

	log_open("metrics_http_test", true, 0);
	log_set_level(LOG_LEVEL_WARN);
	RG_ADD_ROWS(&c, parse_rows, test_parse);
	rg_case_add(&c, "nul_in_head_is_bad", test_nul_in_head_is_bad, NULL);
	rg_case_add(&c, "endless_head_is_too_large",
		    test_endless_head_is_too_large, NULL);
	rg_case_add(&c, "head_response_has_no_body",
		    test_head_response_has_no_body, NULL);
	add_live(&c, "live_metrics_is_served", test_live_metrics_is_served,
		 NULL);
	for (i = 0; i < sizeof(live_rows) / sizeof(live_rows[0]); i++)
		add_live(&c, live_rows[i].name, test_live_status,
			 &live_rows[i]);
	add_live(&c, "live_oversized_request_gets_431",
		 test_live_oversized_request_gets_431, NULL);
	rg_case_add(&c, "idle_clients_do_not_block_a_scrape",
		    test_idle_clients_do_not_block_a_scrape, NULL);
	c.tests[c.count - 1].setup_func = start_patient;
	c.tests[c.count - 1].teardown_func = stop;
	rg_case_add(&c, "full_slots_wait_in_the_queue",
		    test_full_slots_wait_in_the_queue, NULL);
	c.tests[c.count - 1].setup_func = start_patient;
	c.tests[c.count - 1].teardown_func = stop;
	add_live(&c, "live_silent_client_is_dropped",
		 test_live_silent_client_is_dropped, NULL);
	return rg_cases_run(&c, "metrics_http", NULL, NULL);
}
