/* SPDX-License-Identifier: BSD-2-Clause */
#include "rmapi.h"

#include <string.h>

struct rmapi rm;

/* rmapi_get - one function by its name; -1 when Redis lacks it */
static int
rmapi_get(const char *name, void *out)
{
	char full[64];
	size_t n = strlen(name);

	if (n + 13 > sizeof(full))
		return -1;
	memcpy(full, "RedisModule_", 12);
	memcpy(full + 12, name, n + 1);
	return rm.GetApi(full, out) == RMAPI_OK ? 0 : -1;
}

/* rmapi_init - every function of struct rmapi, then the module's name;
 * -1 when one is missing */
int
rmapi_init(RedisModuleCtx *ctx, const char *name, int ver)
{
	static const struct {
		const char *name;
		size_t off;
	} fns[] = {
#define RMAPI_FN(f) { #f, offsetof(struct rmapi, f) }
		RMAPI_FN(SetModuleAttribs), RMAPI_FN(CreateCommand),
		RMAPI_FN(IsKeysPositionRequest), RMAPI_FN(KeyAtPos),
		RMAPI_FN(StringPtrLen), RMAPI_FN(CreateString),
		RMAPI_FN(FreeString), RMAPI_FN(OpenKey), RMAPI_FN(CloseKey),
		RMAPI_FN(KeyType), RMAPI_FN(HashGet), RMAPI_FN(HashSet),
		RMAPI_FN(StringDMA), RMAPI_FN(StringSet),
		RMAPI_FN(SetAbsExpire), RMAPI_FN(ScanCursorCreate),
		RMAPI_FN(ScanCursorDestroy), RMAPI_FN(ScanKey),
		RMAPI_FN(Milliseconds), RMAPI_FN(Replicate),
		RMAPI_FN(ReplyWithError), RMAPI_FN(ReplyWithArray),
		RMAPI_FN(ReplyWithLongLong), RMAPI_FN(WrongArity),
		RMAPI_FN(Alloc), RMAPI_FN(Realloc), RMAPI_FN(Free),
#undef RMAPI_FN
	};
	void *getter;
	size_t i;

	/* the getter is the first word of the context */
	memcpy(&getter, ctx, sizeof(getter));
	memcpy(&rm.GetApi, &getter, sizeof(rm.GetApi));
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (rmapi_get(fns[i].name, (char *)&rm + fns[i].off) < 0)
			return -1;
	rm.SetModuleAttribs(ctx, name, ver, RMAPI_APIVER_1);
	return 0;
}
