# tests for the lithiation study (issue 7): MPI-free kernels, inputs and protocol, and the independent 1-D
# reference solutions the 3-D solver is verified against (link ssb_lithiation_reference to use them).
set(LITH ${CMAKE_CURRENT_LIST_DIR})
add_library(ssb_lithiation_reference STATIC ${LITH}/LithiationReference.cpp)
target_link_libraries(ssb_lithiation_reference PUBLIC ssb_physics)
ssb_add_gtest(NAME lithiation_kernels SOURCES ${LITH}/ElectrochemTest.cpp RANKS 1 LIBS ssb_physics TIMEOUT 60)
ssb_add_gtest(NAME lithiation_inputs SOURCES ${LITH}/LithiationParamsTest.cpp RANKS 1 LIBS ssb_physics TIMEOUT 60)
ssb_add_gtest(NAME lithiation_reference SOURCES ${LITH}/LithiationReferenceTest.cpp RANKS 1
              LIBS ssb_lithiation_reference TIMEOUT 120)
# The 3-D solver: Jacobian, conservation, ohmic limit, layered cell against the 1-D reference, rank
# independence, volume errors.
ssb_add_gtest(NAME lithiation_solver SOURCES ${LITH}/LithiationSolverTest.cpp RANKS 1 2
              LIBS ssb_lithiation_reference TIMEOUT 240)
# The lithiation quickstart (charge, cv hold, rest, discharge on a 16 x 8 x 8 composite) end to end, then a
# check that both PNG plots were written.
ssb_add_cli_test(NAME lithiation_quickstart RANKS 1 TIMEOUT 120
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/lithiation_quickstart.yaml --set output.dir=lith_qs)
set_tests_properties(lithiation_quickstart PROPERTIES FIXTURES_SETUP lith_qs_run)
add_test(NAME lithiation_quickstart_plots
         COMMAND bash -c "for f in lith_qs/cycle_voltage.png lith_qs/cycle_front.png; do head -c 4 $f | grep -q PNG || { echo \"$f is not a PNG\"; exit 1; }; done"
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(lithiation_quickstart_plots PROPERTIES FIXTURES_REQUIRED lith_qs_run)
ssb_isolate_test(lithiation_quickstart_plots)
add_test(NAME lithiation_quickstart_front_csv COMMAND bash ${LITH}/front_csv_check.sh lith_qs
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(lithiation_quickstart_front_csv PROPERTIES FIXTURES_REQUIRED lith_qs_run)
ssb_isolate_test(lithiation_quickstart_front_csv)
# The study's prepare step runs before the volume is loaded and names the key (exit 2).
ssb_add_cli_test(NAME lithiation_bad_initial_state RANKS 1 EXPECT_ERROR "studies\\[0\\]\\.initial\\.x: the initial OCV" EXIT_CODE 2
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/lithiation_quickstart.yaml --set studies[0].initial.x=0.01
                 --set output.dir=lith_bad)
# Limits against the 1-D references: a voxelised sphere (octant, R = 10 voxels, local-normal area) vs
# solveSphere, and the uniform-reaction limit of a thin fast-transport electrode vs the OCV window.
ssb_add_gtest(NAME lithiation_limits SOURCES ${LITH}/LithiationLimitsTest.cpp RANKS 1
              LIBS ssb_lithiation_reference TIMEOUT 120)
# The time series cannot be put in place (a directory blocks its name): a run-time error on both ranks
# (exit 1, the message names the file), not a hang of the rank that did not write it.
add_test(NAME lithiation_csv_blocked_setup
         COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/lith_blocked/cycle_timeseries.csv/x)
set_tests_properties(lithiation_csv_blocked_setup PROPERTIES FIXTURES_SETUP lith_blocked)
ssb_add_cli_test(NAME lithiation_csv_blocked RANKS 2 TIMEOUT 120 EXIT_CODE 1
                 EXPECT_ERROR "cannot move .*cycle_timeseries\\.csv"
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/lithiation_quickstart.yaml --set output.dir=lith_blocked)
set_tests_properties(lithiation_csv_blocked PROPERTIES FIXTURES_REQUIRED lith_blocked)
# Current switch-on on a generated composite (tests/lithiation/switch_on_composite.yaml): the consistent-
# potential Newton solve must converge at C/20 with fieldsplit, also with a tenfold lower electrolyte
# conductivity (the validation runs' regime) on 2 ranks. Both stalled in that solve before (DIVERGED_MAX_IT).
ssb_add_cli_test(NAME lithiation_switch_on RANKS 1 TIMEOUT 120
                 ARGS run ${LITH}/switch_on_composite.yaml --set output.dir=lith_switch_on)
ssb_add_cli_test(NAME lithiation_switch_on_low_kappa RANKS 2 TIMEOUT 120
                 ARGS run ${LITH}/switch_on_composite.yaml --set output.dir=lith_switch_on_lk
                 "--set" "studies[0].electrolyte.conductivity=0.03 mS/cm")
# Two cycles of the quickstart cut to 8 x 4 x 4 voxels: results.json lists both cycles (charge / discharge
# capacity per cycle) and the capacity-per-cycle plot is written and listed.
ssb_add_cli_test(NAME lithiation_cycles RANKS 1 TIMEOUT 120
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/lithiation_quickstart.yaml "--set" "volume.generate.shape=[8,4,4]"
                 "--set" "studies[0].protocol.cycles=2" --set output.dir=lith_cycles --set output.fields=false)
set_tests_properties(lithiation_cycles PROPERTIES FIXTURES_SETUP lith_cycles_run)
add_test(NAME lithiation_cycles_outputs
         COMMAND bash -c "$<TARGET_FILE:ssb_test_jsoncheck> lith_cycles/results.json /studies/0/cycles/0/cycle=1 /studies/0/cycles/1/cycle=2 '/studies/0/plots/2=\"cycle_cycles.png\"' && head -c 4 lith_cycles/cycle_cycles.png | grep -q PNG"
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(lithiation_cycles_outputs PROPERTIES FIXTURES_REQUIRED lith_cycles_run)
ssb_isolate_test(lithiation_cycles_outputs)
# A run that stops part-way (here: time_stepping.max_steps = 20, a run-time error naming the key) keeps the
# samples computed up to there in <study>_timeseries_partial.csv (the initial state + 20 steps: 21 rows under
# the header) and writes no complete-looking <study>_timeseries.csv.
ssb_add_cli_test(NAME lithiation_partial_series RANKS 2 TIMEOUT 120 EXIT_CODE 1
                 EXPECT_ERROR "after time_stepping\\.max_steps = 20 steps"
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/lithiation_quickstart.yaml
                 --set studies[0].time_stepping.max_steps=20 --set output.dir=lith_partial --set output.fields=false)
set_tests_properties(lithiation_partial_series PROPERTIES FIXTURES_SETUP lith_partial_run)
add_test(NAME lithiation_partial_series_csv
         COMMAND bash -c "test ! -e lith_partial/cycle_timeseries.csv && test $(wc -l < lith_partial/cycle_timeseries_partial.csv) -eq 22 && head -1 lith_partial/cycle_timeseries_partial.csv | grep -q '^t \\[s\\],voltage \\[V\\]' && test -s lith_partial/cycle_front_partial.csv"
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(lithiation_partial_series_csv PROPERTIES FIXTURES_REQUIRED lith_partial_run)
ssb_isolate_test(lithiation_partial_series_csv)
