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
# `ssbvox report` (issue 9): Bruggeman fit, synthetic sweep / case / calibration folders, bad inputs.
ssb_add_gtest(NAME driver_report SOURCES ${CMAKE_CURRENT_LIST_DIR}/ReportTest.cpp RANKS 1 LIBS ssb_driver TIMEOUT 120)
# The sweep example run and reported through the command line (on 2 ranks: the report is written by rank 0).
add_test(NAME cli_report_sweep_example
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/report_cli.sh report_sweep_example
                 ${CMAKE_SOURCE_DIR}/inputs/sweep_porosity.yaml ${SSB_MPIEXEC} -n 2 $<TARGET_FILE:ssbvox>)
set_tests_properties(cli_report_sweep_example PROPERTIES TIMEOUT 180 PROCESSORS 2)
ssb_isolate_test(cli_report_sweep_example)
ssb_add_cli_test(NAME cli_report_missing_dir RANKS 2 EXPECT_ERROR "report: no directory 'no_such_results'" EXIT_CODE 2
                 ARGS report no_such_results)
