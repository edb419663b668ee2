# tests for the driver: loading and running cases in memory (loadCase / runCase).
ssb_add_gtest(NAME driver_case SOURCES ${CMAKE_CURRENT_LIST_DIR}/CaseTest.cpp RANKS 1 2 LIBS ssb_driver TIMEOUT 120)
# sweeps, measured values and calibration (issue 9).
ssb_add_gtest(NAME driver_sweep SOURCES ${CMAKE_CURRENT_LIST_DIR}/SweepTest.cpp RANKS 1 2 LIBS ssb_driver TIMEOUT 120)
ssb_add_gtest(NAME driver_calibration SOURCES ${CMAKE_CURRENT_LIST_DIR}/CalibrationTest.cpp RANKS 1 2 LIBS ssb_driver TIMEOUT 120)
# The sweep example through the command line: four cases on two groups of one rank.
ssb_add_cli_test(NAME cli_sweep_example_np2 RANKS 2 TIMEOUT 120
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/sweep_porosity.yaml --set output.dir=sweep_example
                      --set sweep.ranks_per_case=1)
set_tests_properties(cli_sweep_example_np2 PROPERTIES PASS_REGULAR_EXPRESSION "sweep: 4 cases \\([0-9] run, [0-9] reused, 0 failed\\)")
ssb_add_cli_test(NAME cli_sweep_bad_ranks_per_case RANKS 2 EXPECT_ERROR "sweep.ranks_per_case: 3 ranks per case, but the run has 2 ranks" EXIT_CODE 2
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/sweep_porosity.yaml --set output.dir=sweep_bad --set sweep.ranks_per_case=3)
