// A shared object without the fnx plugin entry points.
extern "C" int some_unrelated_function() { return 42; }
