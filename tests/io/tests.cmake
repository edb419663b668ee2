# tests for io: volume readers and writers (serial; reading is not collective).
ssb_add_gtest(NAME io_volume
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/RoundTripTest.cpp ${CMAKE_CURRENT_LIST_DIR}/TiffVariantsTest.cpp
          ${CMAKE_CURRENT_LIST_DIR}/BadInputTest.cpp
  RANKS 1
  LIBS ssb_mesh PkgConfig::TIFF PkgConfig::HDF5MPI
  TIMEOUT 120)
ssb_add_gtest(NAME io_reference_data
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/ReferenceDataTest.cpp
  RANKS 1
  LIBS ssb_mesh PkgConfig::TIFF
  TIMEOUT 120)
# fields.h5 / fields.xdmf / checkpoints: parallel HDF5 round trips (np 1 and 2).
ssb_add_gtest(NAME io_field_writer
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/FieldWriterTest.cpp
  RANKS 1 2
  LIBS ssb_mesh PkgConfig::HDF5MPI
  TIMEOUT 120)
