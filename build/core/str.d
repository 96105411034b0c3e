build/core/str.o: core/str.c core/str.h
core/str.h:
