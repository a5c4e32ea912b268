#include "geodes/app/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <stdexcept>

namespace geodes::app {

namespace {

std::string quoted(const std::string& path) { return "'" + path + "'"; }

// Opens (creating or truncating) `tmp` so that a missing or unwritable directory is reported with
// the operating system's reason before any work is done.
void create_empty(const std::string& path, const std::string& tmp) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int err = errno;
    throw OutputError("cannot write " + quoted(path) + ": " + std::strerror(err));
  }
  ::close(fd);
}

// Flushes the file's data to the device, so that the rename never publishes an empty file after a
// crash. File systems that cannot sync (EINVAL) are accepted.
void sync_to_disk(const std::string& path, const std::string& tmp) {
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) {
    if (::fsync(fd) != 0 && errno != EINVAL) err = errno;
    ::close(fd);
  }
  if (err != 0) {
    throw OutputError("cannot write " + quoted(path) + ": flushing " + quoted(tmp) +
                      " failed: " + std::strerror(err));
  }
}

}  // namespace

std::string temporary_path_for(const std::string& path) {
  return path + ".tmp-" + std::to_string(::getpid());
}

void write_file_atomically(const std::string& path,
                           const std::function<void(const std::string& tmp)>& write) {
  if (path.empty()) throw OutputError("cannot write a file with an empty name");
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw OutputError("cannot write " + quoted(path) + ": it is a directory");
  }
  const std::string tmp = temporary_path_for(path);
  create_empty(path, tmp);
  try {
    write(tmp);
    sync_to_disk(path, tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      throw OutputError("cannot write " + quoted(path) + ": renaming " + quoted(tmp) +
                        " onto it failed: " + std::strerror(err));
    }
  } catch (const OutputError&) {
    std::remove(tmp.c_str());
    throw;
  } catch (const std::bad_alloc&) {
    std::remove(tmp.c_str());
    throw OutputError("cannot write " + quoted(path) + ": out of memory");
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    throw OutputError("cannot write " + quoted(path) + ": " + e.what());
  } catch (...) {
    std::remove(tmp.c_str());
    throw OutputError("cannot write " + quoted(path) + ": unknown error");
  }
}

void write_bytes(const std::string& tmp, std::string_view bytes) {
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    const int err = errno;
    throw std::runtime_error("opening " + quoted(tmp) + " failed: " + std::strerror(err));
  }
  const std::size_t written = std::fwrite(bytes.data(), 1, bytes.size(), f);
  const int write_err = written == bytes.size() ? 0 : errno;
  const int close_err = std::fclose(f) == 0 ? 0 : errno;  // a buffered write may fail only here
  if (write_err != 0 || close_err != 0) {
    throw std::runtime_error(std::strerror(write_err != 0 ? write_err : close_err));
  }
}

void write_text_file_atomically(const std::string& path, std::string_view contents) {
  write_file_atomically(path, [&](const std::string& tmp) { write_bytes(tmp, contents); });
}

}  // namespace geodes::app
