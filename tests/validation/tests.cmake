# The validation inputs against the thesis (issue 9): every inputs/validation/*.yaml runs on its small twin
# (the file's `# ci:` overrides, through inputs/validation/run.sh), then `ssbvox report` turns the runs into
# one Markdown report. A run that fails (a failed sweep case, a twin that misses a target, a calibration
# that does not converge) fails its test; agreement with the thesis is reported, not asserted (the rows
# that disagree are documented in docs/validation.md).
set(VAL ${CMAKE_SOURCE_DIR}/inputs/validation)
set(SSB_VALIDATION_INPUTS separators_table3_4 composites_table5_6 composite_contact_255_10m
    composite_contact_255_15h lithiation_front_255_15h decohesion_255_15h)
foreach(name ${SSB_VALIDATION_INPUTS})
  if(NOT EXISTS ${VAL}/${name}.yaml)
    message(FATAL_ERROR "tests/validation: ${VAL}/${name}.yaml does not exist")
  endif()
  add_test(NAME validation_${name}
           COMMAND bash ${VAL}/run.sh --ci --only ${name} --out validation_ci --ssbvox $<TARGET_FILE:ssbvox>
                   --no-report
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(validation_${name} PROPERTIES TIMEOUT 300 FIXTURES_SETUP validation_runs)
  ssb_isolate_test(validation_${name})
endforeach()
# The twins met their targets; the calibrations converged.
add_test(NAME validation_checks
         COMMAND bash -c "set -e; for c in 0 1 2 3; do $<TARGET_FILE:ssb_test_jsoncheck> validation_ci/separators_table3_4/case_000$c/results.json /volume/twin/met=true; done; for c in 0 1; do $<TARGET_FILE:ssb_test_jsoncheck> validation_ci/composites_table5_6/case_000$c/results.json /volume/twin/met=true; done; for s in 10m 15h; do $<TARGET_FILE:ssb_test_jsoncheck> validation_ci/composite_contact_255_$s/results.json /calibration/converged=true; done"
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(validation_checks PROPERTIES FIXTURES_REQUIRED validation_runs)
ssb_isolate_test(validation_checks)
# The report of the CI runs (the same command docs/validation-thesis.md comes from, at full size).
add_test(NAME validation_report
         COMMAND bash -c "set -e; $<TARGET_FILE:ssbvox> report validation_ci; for s in 'Sweep: separators_table3_4' 'Sweep: composites_table5_6' 'Calibration: composite_contact_255_10m' 'Bruggeman' 'varies together with' 'Simulated vs measured'; do grep -q \"$s\" validation_ci/report.md || { echo \"report.md lacks: $s\"; exit 1; }; done; test -s validation_ci/report/separators_table3_4_parity_S_m.png"
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(validation_report PROPERTIES FIXTURES_REQUIRED validation_runs)
ssb_isolate_test(validation_report)
