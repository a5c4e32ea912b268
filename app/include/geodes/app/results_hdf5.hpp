// The HDF5 results file of a run (DESIGN.md, "Interfaces"): self-describing, units in attributes,
// readable with h5py or h5dump. The layout is a contract, documented in docs/results.md:
//
//   /meta         group: attributes format, format_version, version, git_describe, seed, scenario,
//                 command_line, complete, fingerprint, sim_time_s, events [, wall_s];
//                 dataset scenario_yaml (string)
//   /summary      string dataset: the summary JSON; attributes: the headline numbers
//   /lag/<class>/<dc>        histogram of a data class's lag at one replica DC (first arrival)
//   /lag/channels/<channel>  histogram of one channel's lag
//                 compound datasets {lower, upper, count}; attributes unit="ns", count, min,
//                 mean, p50, p99, p999, max; the /lag/<class> group holds the merged statistics
//   /timeseries/<series name, '/' = subgroup>  datasets t_s (interval starts), mean, max;
//                 attributes name, unit, interval_s, interval_ns
//   /faults       one dataset per column: type, target, start_s, end_s (NaN: never ended), detail
//   /divergence   one row per (sampled divergent key, DC), one dataset per column: data_class,
//                 key, dc, present, origin, seq, hlc, value
//
// Names become single path components: '%' and '/' are percent-encoded (as are a name ".", and a
// data class named "channels", whose 'c' becomes %63), and every group or dataset named after
// something carries its exact name in a `name` attribute. Groups list their members, and objects
// their attributes, in creation order (scenario order).
//
// Determinism: the file is a function of (RunResults, RunMeta). No object timestamps are stored,
// so equal inputs give byte-identical files; the only machine-dependent value is wall_s, left out
// when RunMeta::record_wall_time is false.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "geodes/app/version.hpp"
#include "geodes/models/system/run_results.hpp"

namespace geodes::app {

/// What the results file records about how the run was made, besides its results.
struct RunMeta {
  std::string version = app::version();  ///< geodes version
  std::string git_describe;              ///< `git describe` of the build; may be empty
  std::uint64_t seed = 0;                ///< must equal RunResults::seed
  std::string scenario_yaml;             ///< the scenario text as run (after --set overrides)
  std::string command_line;              ///< may be empty
  bool record_wall_time = true;          ///< false: no wall_s anywhere (byte-comparable files)
};

/// Writes `results` to the HDF5 file `path` atomically (atomic_file.hpp): a reader sees the old
/// file or the complete new one. HDF5's own error printing is turned off.
/// Throws InvalidArgument if meta.seed != results.seed, before touching any file; OutputError
/// (no file left behind, `path` untouched) if `path` is a directory or cannot be written, if
/// HDF5 fails, or if `results` is inconsistent (a series whose mean and max differ in length, two
/// series or objects with the same name).
void write_results_hdf5(const std::string& path, const models::RunResults& results,
                        const RunMeta& meta);

/// The HDF5 path component for `name` (see the file comment). An empty name becomes "%", which
/// no other name can produce.
std::string hdf5_component(std::string_view name);

}  // namespace geodes::app
