build/core/cidr.o: core/cidr.c core/cidr.h core/err.h core/str.h \
 core/xalloc.h
core/cidr.h:
core/err.h:
core/str.h:
core/xalloc.h:
