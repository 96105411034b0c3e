build/core/conf.o: core/conf.c core/conf.h core/cidr.h core/err.h \
 core/log.h core/str.h core/xalloc.h
core/conf.h:
core/cidr.h:
core/err.h:
core/log.h:
core/str.h:
core/xalloc.h:
