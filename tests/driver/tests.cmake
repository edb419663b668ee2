# tests for the driver: loading and running cases in memory (loadCase / runCase).
ssb_add_gtest(NAME driver_case SOURCES ${CMAKE_CURRENT_LIST_DIR}/CaseTest.cpp RANKS 1 2 LIBS ssb_driver TIMEOUT 120)
