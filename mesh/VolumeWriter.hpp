#pragma once
// output.save_volume: a distributed Volume written as labels.h5, labels.raw and labels.tif without ever
// holding the whole volume on one rank. HDF5 (parallel HDF5, one hyperslab per rank, collective I/O) and raw
// (MPI-IO, one subarray per rank) are written by every rank at once. TIFF has no parallel writer, so rank 0
// writes it page by page from slabs of z gathered one at a time (at most ~64 MiB on rank 0 whatever the
// volume's size). Each file goes through its temporary name and rank 0 renames it when complete.
// Collective; a failure on any rank throws on every rank (RunError; InputError for labels that do not fit
// the bits asked for).
#include <cstddef>
#include <filesystem>
#include <string>

#include "mesh/Volume.hpp"

namespace ssb {

// Dataset (dims nz, ny, nx) of uint8 or uint16 labels, deflate-compressed in chunks when the HDF5 library
// has the filter, and the voxel size [m] as attribute `voxel_size_m` when > 0 (as writeHdf5Labels).
void saveLabelsHdf5(const Volume& v, const std::filesystem::path& path, const std::string& dataset, int bits,
                    double voxelSize);
// Headerless uint8, or uint16 little-endian, (z, y, x) with x fastest.
void saveLabelsRaw(const Volume& v, const std::filesystem::path& path, int bits);
// Multi-page TIFF, one page per z (as writeTiff). `slabBytes` bounds what rank 0 holds at a time (whole z
// pages, at least one).
void saveLabelsTiff(const Volume& v, const std::filesystem::path& path, int bits, double voxelSize,
                    size_t slabBytes = size_t{64} << 20);

}  // namespace ssb
