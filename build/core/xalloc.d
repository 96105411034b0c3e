build/core/xalloc.o: core/xalloc.c core/xalloc.h core/log.h
core/xalloc.h:
core/log.h:
