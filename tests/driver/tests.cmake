# tests for the driver: loading and running cases in memory (loadCase / runCase).
ssb_add_gtest(NAME driver_case SOURCES ${CMAKE_CURRENT_LIST_DIR}/CaseTest.cpp RANKS 1 2 LIBS ssb_driver TIMEOUT 120)
# sweeps, measured values and calibration (issue 9).
ssb_add_gtest(NAME driver_sweep SOURCES ${CMAKE_CURRENT_LIST_DIR}/SweepTest.cpp RANKS 1 2 LIBS ssb_driver TIMEOUT 120)
ssb_add_gtest(NAME driver_calibration SOURCES ${CMAKE_CURRENT_LIST_DIR}/CalibrationTest.cpp RANKS 1 2 LIBS ssb_driver TIMEOUT 120)
