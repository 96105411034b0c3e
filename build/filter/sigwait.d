build/filter/sigwait.o: filter/sigwait.c filter/sigwait.h
filter/sigwait.h:
