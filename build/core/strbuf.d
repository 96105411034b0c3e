build/core/strbuf.o: core/strbuf.c core/strbuf.h core/xalloc.h
core/strbuf.h:
core/xalloc.h:
