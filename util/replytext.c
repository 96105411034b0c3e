/* SPDX-License-Identifier: BSD-2-Clause */
#include "replytext.h"

#include <stdbool.h>
#include <string.h>

/* replytext_byte - one byte of wire or configuration text as it may
 * appear in a reply */
static char
replytext_byte(unsigned char c)
{
	if (c == '\r' || c == '\n' || c == '\t')
		return ' ';
	if (c < 0x20 || c >= 0x7f || c == '%')
		return '?';
	return (char)c;
}

/* replytext_clean - src as a safe, bounded, one-line reply text */
size_t
replytext_clean(char *dst, size_t size, const char *src)
{
	size_t max = size > 0 ? size - 1 : 0;
	size_t o = 0;
	bool cut = false;

	if (size == 0)
		return 0;
	if (max > REPLYTEXT_MAX)
		max = REPLYTEXT_MAX;
	if (src == NULL)
		src = "";
	while (*src != '\0' && replytext_byte((unsigned char)*src) == ' ')
		src++;
	for (; *src != '\0'; src++) {
		if (o == max) {
			cut = true;
			break;
		}
		dst[o++] = replytext_byte((unsigned char)*src);
	}
	if (cut && max >= 3) {
		o = max - 3;
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	while (!cut && o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
	return o;
}
