# CLI tests: the main job, rank independence of the written fields, and one test per bad-input rule.
set(CLI ${CMAKE_CURRENT_LIST_DIR})
set(CASES ${CLI}/cases)
set(B ${CMAKE_CURRENT_BINARY_DIR})

ssb_add_cli_test(NAME cli_version ARGS --version)
ssb_add_cli_test(NAME cli_params ARGS params)
set_tests_properties(cli_params PROPERTIES PASS_REGULAR_EXPRESSION "voxel_size.*\\| m \\|")

# Generated case on 1 and 2 ranks; fields must be byte-identical (FieldsCompare.cpp).
ssb_add_cli_test(NAME cli_gen_np1 RANKS 1 ARGS run ${CASES}/gen.yaml --set output.dir=gen_np1)
ssb_add_cli_test(NAME cli_gen_np2 RANKS 2 ARGS run ${CASES}/gen.yaml --set output.dir=gen_np2)
set_tests_properties(cli_gen_np1 PROPERTIES FIXTURES_SETUP gen_np1)
set_tests_properties(cli_gen_np2 PROPERTIES FIXTURES_SETUP gen_np2)
ssb_add_gtest(NAME cli_fields_compare SOURCES ${CLI}/FieldsCompare.cpp RANKS 1 LIBS PkgConfig::HDF5MPI)
set_tests_properties(cli_fields_compare_np1 PROPERTIES FIXTURES_REQUIRED "gen_np1;gen_np2")

# `ssbvox info`: the same labels as TIFF, HDF5 and raw report identical counts.
add_test(NAME cli_info_same_counts
         COMMAND bash ${CLI}/compare_info.sh $<TARGET_FILE:ssbvox> ${B}/gen_np2/labels.tif
                 -- ${B}/gen_np2/labels.h5 --dataset labels)
add_test(NAME cli_info_same_counts_raw
         COMMAND bash ${CLI}/compare_info.sh $<TARGET_FILE:ssbvox> ${B}/gen_np2/labels.tif
                 -- ${B}/gen_np2/labels.raw --shape 20 22 24 --dtype uint8)
ssb_add_gtest(NAME cli_write_variants SOURCES ${CLI}/WriteVariants.cpp RANKS 1 LIBS ssb_mesh)
set_tests_properties(cli_write_variants_np1 PROPERTIES FIXTURES_REQUIRED gen_np2 FIXTURES_SETUP variants)
add_test(NAME cli_info_same_counts_tiff16
         COMMAND bash ${CLI}/compare_info.sh $<TARGET_FILE:ssbvox> ${B}/gen_np2/labels16.tif -- ${B}/gen_np2/labels.raw
                 --shape 20 22 24 --dtype uint8)
add_test(NAME cli_info_same_counts_slices
         COMMAND bash ${CLI}/compare_info.sh $<TARGET_FILE:ssbvox> ${B}/gen_np2/labels16.tif -- ${B}/gen_np2/slices)
set_tests_properties(cli_info_same_counts_tiff16 cli_info_same_counts_slices PROPERTIES FIXTURES_REQUIRED variants)
set_tests_properties(cli_info_same_counts cli_info_same_counts_raw PROPERTIES FIXTURES_REQUIRED gen_np2)
ssb_isolate_test(cli_info_same_counts cli_info_same_counts_raw cli_info_same_counts_tiff16 cli_info_same_counts_slices)

# The quickstart example (the README's first command) on 1 and 2 ranks.
ssb_add_cli_test(NAME cli_quickstart_np1 RANKS 1 ARGS run ${CMAKE_SOURCE_DIR}/inputs/quickstart.yaml --set output.dir=qs_np1)
ssb_add_cli_test(NAME cli_quickstart_np2 RANKS 2 ARGS run ${CMAKE_SOURCE_DIR}/inputs/quickstart.yaml --set output.dir=qs_np2 --verbosity 2)

# --- bad inputs: each must exit non-zero (no crash, no hang) with a message naming the problem ---
file(WRITE ${B}/corrupt.tif "II*\\0 this is not really a TIFF file, just garbage bytes after a valid magic number")
file(WRITE ${B}/short.raw "0123456789012345678901234567890123456789012345678901234567890123456789")
ssb_add_cli_test(NAME cli_bad_missing_case EXPECT_ERROR "no_such_case.yaml" EXIT_CODE 2 ARGS run ${B}/no_such_case.yaml)
ssb_add_cli_test(NAME cli_bad_missing_volume EXPECT_ERROR "does_not_exist.tif" EXIT_CODE 2
                 ARGS run ${CASES}/file.yaml --set volume.file=${B}/does_not_exist.tif)
ssb_add_cli_test(NAME cli_bad_missing_volume_np2 RANKS 2 EXPECT_ERROR "does_not_exist.tif" EXIT_CODE 2
                 ARGS run ${CASES}/file.yaml --set volume.file=${B}/does_not_exist.tif)
ssb_add_cli_test(NAME cli_bad_corrupt_tiff EXPECT_ERROR "corrupt.tif" EXIT_CODE 2
                 ARGS run ${CASES}/file.yaml --set volume.file=${B}/corrupt.tif)
ssb_add_cli_test(NAME cli_bad_info_corrupt_tiff EXPECT_ERROR "corrupt.tif" EXIT_CODE 2 ARGS info ${B}/corrupt.tif)
ssb_add_cli_test(NAME cli_bad_h5_no_dataset EXPECT_ERROR "no_such_dataset" EXIT_CODE 2
                 ARGS run ${CASES}/file.yaml --set volume.file=${B}/gen_np2/labels.h5 --set volume.dataset=no_such_dataset)
ssb_add_cli_test(NAME cli_bad_raw_shape EXPECT_ERROR "short.raw.*(size|bytes)" EXIT_CODE 2
                 ARGS run ${CASES}/file.yaml --set volume.file=${B}/short.raw --set "volume.shape=[2, 5, 5]")
ssb_add_cli_test(NAME cli_bad_unknown_key EXPECT_ERROR "volume.voxle_size: unknown key" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml --set "volume.voxle_size=20 nm")
ssb_add_cli_test(NAME cli_bad_wrong_type EXPECT_ERROR "volume.generate.shape: expected a list" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml --set volume.generate.shape=big)
ssb_add_cli_test(NAME cli_bad_negative_voxel EXPECT_ERROR "volume.voxel_size: value -20 nm is out of range" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml --set "volume.voxel_size=-20 nm")
ssb_add_cli_test(NAME cli_bad_unknown_unit EXPECT_ERROR "volume.voxel_size: unknown unit" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml --set "volume.voxel_size=20 parsec")
ssb_add_cli_test(NAME cli_bad_unclaimed_label EXPECT_ERROR "no phase claims label 2 \\([0-9]+ voxels\\)" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml --set "phases=[{name: pore, label: 0}, {name: LPS, label: 1}]")
ssb_add_cli_test(NAME cli_bad_unclaimed_label_np2 RANKS 2 EXPECT_ERROR "no phase claims label 2" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml --set "phases=[{name: pore, label: 0}, {name: LPS, label: 1}]")
ssb_add_cli_test(NAME cli_bad_crop_outside EXPECT_ERROR "volume.crop.x: \\[0, 999\\] is outside the volume" EXIT_CODE 2
                 ARGS run ${CASES}/file.yaml --set volume.file=${B}/gen_np2/labels.tif --set "volume.crop={x: [0, 999]}")
ssb_add_cli_test(NAME cli_bad_yaml_syntax EXPECT_ERROR "YAML syntax error" EXIT_CODE 2 ARGS run ${CLI}/bad_syntax.yaml)
ssb_add_cli_test(NAME cli_bad_study_type EXPECT_ERROR "studies\\[0\\].type: unknown study type 'magic'" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml --set "studies=[{type: magic}]")
ssb_add_cli_test(NAME cli_bad_set_syntax EXPECT_ERROR "--set 'oops'" EXIT_CODE 2 ARGS run ${CASES}/gen.yaml --set oops)
set_tests_properties(cli_bad_h5_no_dataset cli_bad_crop_outside PROPERTIES FIXTURES_REQUIRED gen_np2)
set_tests_properties(cli_quickstart_np1 PROPERTIES FIXTURES_SETUP qs_np1)
set_tests_properties(cli_quickstart_np2 PROPERTIES FIXTURES_SETUP qs_np2)
ssb_add_gtest(NAME cli_results_compare SOURCES ${CLI}/ResultsCompare.cpp RANKS 1 LIBS ssb_core)
set_tests_properties(cli_results_compare_np1 PROPERTIES FIXTURES_REQUIRED "qs_np1;qs_np2")

# Example cases in inputs/ (each YAML there is run by a test).
if(EXISTS ${SSB_DATA_DIR}/puma_100_fiberform.tif)
  # The long poles of the suite (~1 and ~3 minutes on a loaded 2-core machine): a timeout of 600 s still
  # catches a hang without failing a run that is merely slow under ctest -j4.
  ssb_add_cli_test(NAME cli_input_fiberform RANKS 2 TIMEOUT 600
                   ARGS run ${CMAKE_SOURCE_DIR}/inputs/fiberform_tortuosity.yaml --set output.dir=fiberform)
  set_tests_properties(cli_input_fiberform PROPERTIES FIXTURES_SETUP fiberform)
  ssb_add_gtest(NAME cli_inputs_check SOURCES ${CLI}/InputsCheck.cpp RANKS 1 LIBS ssb_core)
  ssb_add_cli_test(NAME cli_input_matbox RANKS 2 TIMEOUT 600
                   ARGS run ${CMAKE_SOURCE_DIR}/inputs/matbox_electrode_tortuosity.yaml --set output.dir=matbox)
  set_tests_properties(cli_input_matbox PROPERTIES FIXTURES_SETUP matbox)
  set_tests_properties(cli_inputs_check_np1 PROPERTIES FIXTURES_REQUIRED "fiberform;matbox")
endif()

add_test(NAME cli_params_docs_in_sync COMMAND bash ${CLI}/docs_in_sync.sh $<TARGET_FILE:ssbvox> ${CMAKE_SOURCE_DIR}/docs/input-reference.md)
ssb_isolate_test(cli_params_docs_in_sync)

# An output that cannot be put in place (a directory sits where the file goes) is an error on every rank,
# not a hang, and no temporary file is left behind.
add_test(NAME cli_setup_blocked_outputs
         COMMAND ${CMAKE_COMMAND} -E make_directory ${B}/blocked_results/results.json ${B}/blocked_fields/fields.xdmf)
set_tests_properties(cli_setup_blocked_outputs PROPERTIES FIXTURES_SETUP blocked)
ssb_add_cli_test(NAME cli_bad_results_not_writable RANKS 2 EXPECT_ERROR "cannot move .*results.json.ssbvox.tmp into place" EXIT_CODE 1
                 ARGS run ${CASES}/gen.yaml --set output.dir=blocked_results TIMEOUT 60)
ssb_add_cli_test(NAME cli_bad_fields_not_writable RANKS 2 EXPECT_ERROR "cannot move .*fields.xdmf.ssbvox.tmp into place" EXIT_CODE 1
                 ARGS run ${CASES}/gen.yaml --set output.dir=blocked_fields TIMEOUT 60)
set_tests_properties(cli_bad_results_not_writable cli_bad_fields_not_writable PROPERTIES FIXTURES_REQUIRED blocked
                     FIXTURES_SETUP blocked_done)
add_test(NAME cli_no_temp_files_left COMMAND bash -c "! ls ${B}/blocked_results/*.tmp ${B}/blocked_fields/*.tmp 2>/dev/null")
set_tests_properties(cli_no_temp_files_left PROPERTIES FIXTURES_REQUIRED blocked_done)

# Interrupted runs and busy output directories (kill_test.sh): SIGTERM and SIGKILL in the middle of a 128^3
# run leave no half-written result, the next run removes what a killed run left, and a second run into a
# directory in use is refused (exit 1) instead of interleaving.
add_executable(ssb_test_jsoncheck ${CLI}/JsonCheck.cpp)
target_link_libraries(ssb_test_jsoncheck PRIVATE ssb_core)
add_test(NAME cli_kill_and_lock
         COMMAND bash ${CLI}/kill_test.sh $<TARGET_FILE:ssbvox> $<TARGET_FILE:ssb_test_jsoncheck> ${CASES}/kill128.yaml
                 ${B}/kill_out ${CASES}/gen.yaml ${SSB_MPIEXEC}
         WORKING_DIRECTORY ${B})
math(EXPR kill_timeout "300 * ${SSB_TEST_TIMEOUT_FACTOR}")
set_tests_properties(cli_kill_and_lock PROPERTIES TIMEOUT ${kill_timeout} PROCESSORS 2)
ssb_isolate_test(cli_kill_and_lock)

# Checkpoints and --restart of the lithiation study (restart_test.sh), on the lithiation quickstart cut to
# 8 x 4 x 4 voxels (the whole cycle: cc, cv, rest, cc, ~140 steps, ~1 s CPU): a run killed with SIGKILL after its
# first checkpoint, continued with --restart, ends with the uninterrupted run's results (tolerances in
# tests/cli/restart_spec.yaml); a finished study is not recomputed; an edited case is refused (exit 2).
# Each restarts on the other rank count (1 -> 2, 2 -> 1): the checkpoint is in voxel order.
foreach(np 1 2)
  math(EXPR rnp "3 - ${np}")
  add_test(NAME cli_restart_np${np}
           COMMAND bash ${CLI}/restart_test.sh $<TARGET_FILE:ssbvox> $<TARGET_FILE:ssb_test_jsoncheck>
                   $<TARGET_FILE:ssb_gold_compare> ${CLI}/restart_spec.yaml
                   ${CMAKE_SOURCE_DIR}/inputs/lithiation_quickstart.yaml ${B}/restart_np${np} ${np} ${rnp}
                   "volume.generate.shape=[8,4,4]" ${SSB_MPIEXEC}
           WORKING_DIRECTORY ${B})
  math(EXPR restart_timeout "240 * ${SSB_TEST_TIMEOUT_FACTOR}")
  set_tests_properties(cli_restart_np${np} PROPERTIES TIMEOUT ${restart_timeout} PROCESSORS 2)
  ssb_isolate_test(cli_restart_np${np})
endforeach()
ssb_add_cli_test(NAME cli_bad_restart_sweep EXPECT_ERROR "--restart: .*the case file has `sweep:`" EXIT_CODE 2
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/sweep_porosity.yaml --restart)

# --- hostile inputs (issues 11 and 12): input errors (exit 2) naming the key, found before anything runs ---
ssb_add_cli_test(NAME cli_bad_set_empty_path EXPECT_ERROR "--set '\\.': the key path has an empty part" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml --set .=1)
ssb_add_cli_test(NAME cli_bad_set_subscript_on_value
                 EXPECT_ERROR "--set volume.voxel_size.x: 'volume.voxel_size' is a value \\('50 nm'\\)" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml --set volume.voxel_size.x=1)
# Every study is checked against the phases before the volume is loaded: the second study's misspelt phase
# stops the run before the first study runs, so the output directory is never even created.
ssb_add_cli_test(NAME cli_bad_phase_in_second_study RANKS 2
                 EXPECT_ERROR "studies\\[1\\].conductivities.LSP: no phase named 'LSP' \\(phases: pore, LPS, NMC\\)"
                 EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml --set output.dir=prepare_out
                      "--set=studies=[{type: morphology, name: m}, {type: conductivity, conductivities: {LSP: 1}}]")
set_tests_properties(cli_bad_phase_in_second_study PROPERTIES FIXTURES_SETUP prepare_out)
add_test(NAME cli_prepare_wrote_nothing COMMAND bash -c "! test -e ${B}/prepare_out")
set_tests_properties(cli_prepare_wrote_nothing PROPERTIES FIXTURES_REQUIRED prepare_out)
# Sizes: refused before anything is allocated, with the voxel count, the memory per rank and the remedy.
ssb_add_cli_test(NAME cli_bad_shape_overflows_petscint RANKS 2
                 EXPECT_ERROR "volume.generate.shape: the volume has 100000 x 100000 x 100000 = 1e\\+15 voxels.*64-bit indices.*petsc64-dev"
                 EXIT_CODE 2 ARGS run ${CASES}/gen.yaml "--set=volume.generate.shape=[100000, 100000, 100000]")
ssb_add_cli_test(NAME cli_bad_shape_exceeds_memory RANKS 2
                 EXPECT_ERROR "1\\.728e\\+09 voxels.*study 'ionic' \\(conductivity, ~350 B/voxel\\) needs about .* per rank on 2 ranks.*run on at least [0-9]+ ranks"
                 EXIT_CODE 2 ARGS run ${CMAKE_SOURCE_DIR}/inputs/quickstart.yaml "--set=volume.generate.shape=[1200, 1200, 1200]")
# Numbers a double cannot hold: refused with the key, never run as inf, 0 or a subnormal (issue 12).
ssb_add_cli_test(NAME cli_bad_subnormal_conductivity
                 EXPECT_ERROR "studies\\[0\\].conductivities.LPS: value '4e-320 S/m' is too small to represent" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml "--set=studies=[{type: conductivity, conductivities: {LPS: 4e-320 S/m}}]")
# Names become keys, field names and file names. (The other input rules of loadCase: tests/driver.)
ssb_add_cli_test(NAME cli_bad_empty_phase_name
                 EXPECT_ERROR "phases\\[0\\].name: '' cannot be used as a name \\(it is empty\\).*A-Z a-z 0-9 _ - \\+" EXIT_CODE 2
                 ARGS run ${CASES}/gen.yaml "--set=phases[0].name=''")

# Gold files (tests/gold): the example inputs against the values of their reviewed runs, with tolerances.
ssb_add_gold_test(NAME gold_quickstart_np1 SPEC quickstart.yaml DIR ${B}/qs_np1 FIXTURES qs_np1)
ssb_add_gold_test(NAME gold_quickstart_np2 SPEC quickstart.yaml DIR ${B}/qs_np2 FIXTURES qs_np2)
if(EXISTS ${SSB_DATA_DIR}/puma_100_fiberform.tif)
  ssb_add_gold_test(NAME gold_fiberform SPEC fiberform.yaml DIR ${B}/fiberform FIXTURES fiberform)
  ssb_add_gold_test(NAME gold_matbox SPEC matbox.yaml DIR ${B}/matbox FIXTURES matbox)
endif()
