#include "store/core/history.hpp"

#include "base/trace.hpp"
#include "store/core/git_handles.hpp"
#include "store/core/git_stored_objects.hpp"
#include "store/core/parallel.hpp"
#include "sys/file.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <ranges>
#include <vector>
#include <utility>

namespace envpin::store {
namespace {

std::string branch_ref(std::string_view environment)
{
    return fmt::format("refs/heads/{}", environment);
}

}  // namespace

Expected<History> History::open(const std::filesystem::path& git_dir, OpenMode mode)
{
    if (mode == OpenMode::read_write) {
        std::error_code ec;
        if (!std::filesystem::is_directory(git_dir, ec))
            return fail(ErrorCode::corrupt, "{} is missing", git_dir.string());
        return History(git_dir, nullptr);
    }
    if (std::error_code ec; std::filesystem::exists(git_dir / "HEAD", ec)) {
        // Opened on first use, as for a reader: libgit2's start-up (5 ms, most of it its TLS
        // library's) runs on a thread of its own meanwhile, beside the rest of the command.
        History history(git_dir, nullptr);
        history.starting_ = std::async(std::launch::async, initialize_libgit2);
        return history;
    }
    initialize_libgit2();
    git_repository* raw = nullptr;
    int code = git_repository_open_bare(&raw, git_dir.c_str());
    if (code == GIT_ENOTFOUND)
        code = git_repository_init(&raw, git_dir.c_str(), 1);
    History history(git_dir, raw);
    if (code < 0)
        return std::unexpected(git_failure(fmt::format("cannot open {}", git_dir.string()), code));
    return history;
}

Expected<git_repository*> History::repository()
{
    if (repository_ != nullptr)
        return repository_;
    initialize_libgit2();
    ENVPIN_GIT(fmt::format("cannot open {}", git_dir_.string()), git_repository_open_bare(&repository_, git_dir_.c_str()));
    return repository_;
}

History::History(History&& other) noexcept
    : git_dir_(std::move(other.git_dir_)), repository_(std::exchange(other.repository_, nullptr)),
      starting_(std::move(other.starting_))
{
}

History& History::operator=(History&& other) noexcept
{
    if (this != &other) {
        git_repository_free(repository_);
        git_dir_ = std::move(other.git_dir_);
        repository_ = std::exchange(other.repository_, nullptr);
        starting_ = std::move(other.starting_);
    }
    return *this;
}

History::~History()
{
    git_repository_free(repository_);
}

namespace {

// A piece of a shard's text: entries [begin, end) of shard `shard`.
struct ShardPiece {
    size_t shard = 0;
    size_t begin = 0;
    size_t end = 0;
};

// Pieces small enough that the largest shard (torch's, 4 MB) prints on many cores.
std::vector<ShardPiece> cut_into_pieces(const std::vector<size_t>& shard_entries)
{
    constexpr size_t entries_per_piece = 2048;
    std::vector<ShardPiece> pieces;
    for (size_t shard = 0; shard < shard_entries.size(); ++shard) {
        size_t begin = 0;
        do {
            const size_t end = std::min(shard_entries[shard], begin + entries_per_piece);
            pieces.push_back({shard, begin, end});
            begin = end;
        } while (begin < shard_entries[shard]);
    }
    return pieces;
}

// The files/ tree of a commit: one blob per shard, its pieces printed on all cores, then each
// shard's blob hashed and written by one worker (write_stored_blob).
Expected<git_oid> write_files_tree(git_repository* repo, const std::filesystem::path& git_dir, const CommitRequest& request)
{
    const auto& names = request.shard_names;
    if (request.shard_entries.size() != names.size())
        return fail(ErrorCode::internal, "{} shard names for {} shards", names.size(), request.shard_entries.size());
    const auto pieces = cut_into_pieces(request.shard_entries);
    std::vector<std::string> texts(pieces.size());
    {
        TraceSpan span("print");
        ENVPIN_TRY(parallel_for(pieces.size(), 0, [&](size_t p, unsigned) -> Expected<void> {
            texts[p] = request.print_shard(pieces[p].shard, pieces[p].begin, pieces[p].end);
            return {};
        }));
    }
    std::vector<size_t> first_piece(names.size() + 1, pieces.size());
    for (size_t p = pieces.size(); p-- > 0;)
        first_piece[pieces[p].shard] = p;
    std::vector<git_oid> blobs(names.size());
    std::vector<std::chrono::steady_clock::duration> write_times(names.size());
    {
        TraceSpan span("write blobs");
        ENVPIN_TRY(parallel_for(names.size(), 0, [&](size_t i, unsigned) -> Expected<void> {
            const auto start = std::chrono::steady_clock::now();
            std::string text;
            size_t size = 0;
            for (size_t p = first_piece[i]; p < first_piece[i + 1]; ++p)
                size += texts[p].size();
            text.reserve(size);
            for (size_t p = first_piece[i]; p < first_piece[i + 1]; ++p)
                text.append(std::exchange(texts[p], {}));
            blobs[i] = ENVPIN_TRY_CTX(fmt::format("writing the files manifest shard '{}'", names[i]),
                                      write_stored_blob(git_dir / "objects", text));
            write_times[i] = std::chrono::steady_clock::now() - start;
            return {};
        }));
    }
    if (tracing() && !names.empty()) {
        const auto slowest = static_cast<size_t>(std::max_element(write_times.begin(), write_times.end()) - write_times.begin());
        trace_note(fmt::format("{} shards in {} pieces; slowest to write: {} ({} entries) in {:.1f} ms", names.size(),
                               pieces.size(), names[slowest], request.shard_entries[slowest],
                               std::chrono::duration<double, std::milli>(write_times[slowest]).count()));
    }
    git_treebuilder* raw_builder = nullptr;
    ENVPIN_GIT("building the files tree", git_treebuilder_new(&raw_builder, repo, nullptr));
    TreeBuilder builder(raw_builder);
    for (size_t i = 0; i < names.size(); ++i)
        ENVPIN_GIT(fmt::format("adding the shard '{}'", names[i]),
                   git_treebuilder_insert(nullptr, builder.get(), names[i].c_str(), &blobs[i], GIT_FILEMODE_BLOB));
    git_oid tree;
    ENVPIN_GIT("writing the files tree", git_treebuilder_write(&tree, builder.get()));
    return tree;
}

}  // namespace

// Every object goes through the stored-object writer, unsynced; one syncfs then makes them all
// durable before the commit id is handed out (and so before the database can name it).
Expected<std::string> History::write_commit(const CommitRequest& request)
{
    auto commit = write_commit_objects(request);
    if (!commit)
        commit.error().with_context("writing a snapshot commit in " + git_dir_.string());
    return commit;
}

Expected<std::string> History::write_commit_objects(const CommitRequest& request)
{
    const auto writer = ENVPIN_TRY(open_for_writing(git_dir_));
    auto* repo = writer.get();
    git_oid distributions_oid, tree_oid, commit_oid;
    const auto files_oid = ENVPIN_TRY(traced("manifest shards", [&] { return write_files_tree(repo, git_dir_, request); }));
    TraceSpan rest("distributions, tree, commit");
    ENVPIN_GIT("writing the distributions manifest",
               git_blob_create_from_buffer(&distributions_oid, repo, request.distributions_text.data(),
                                           request.distributions_text.size()));
    git_treebuilder* raw_builder = nullptr;
    ENVPIN_GIT("building the manifest tree", git_treebuilder_new(&raw_builder, repo, nullptr));
    TreeBuilder builder(raw_builder);
    ENVPIN_GIT("building the manifest tree", git_treebuilder_insert(nullptr, builder.get(), "distributions", &distributions_oid, GIT_FILEMODE_BLOB));
    ENVPIN_GIT("building the manifest tree", git_treebuilder_insert(nullptr, builder.get(), "files", &files_oid, GIT_FILEMODE_TREE));
    ENVPIN_GIT("writing the manifest tree", git_treebuilder_write(&tree_oid, builder.get()));
    git_tree* raw_tree = nullptr;
    ENVPIN_GIT("reading the manifest tree", git_tree_lookup(&raw_tree, repo, &tree_oid));
    Tree tree(raw_tree);
    Commit parent;
    if (request.parent) {
        const auto parent_oid = ENVPIN_TRY(parse_oid(*request.parent));
        git_commit* raw_parent = nullptr;
        ENVPIN_GIT(fmt::format("reading parent commit {}", *request.parent), git_commit_lookup(&raw_parent, repo, &parent_oid));
        parent.reset(raw_parent);
    }
    git_signature* raw_signature = nullptr;
    ENVPIN_GIT("making the commit signature", git_signature_new(&raw_signature, "envpin", "envpin@localhost", request.time_seconds, 0));
    Signature signature(raw_signature);
    const git_commit* parents[] = {parent.get()};
    ENVPIN_GIT("writing the snapshot commit",
               git_commit_create(&commit_oid, repo, nullptr, signature.get(), signature.get(), "UTF-8",
                                 request.message.c_str(), tree.get(), parent ? 1 : 0, parents));
    ENVPIN_TRY(traced("sync", [&] { return sys::sync_filesystem_of(git_dir_ / "objects"); }));
    return oid_hex(commit_oid);
}

Expected<void> History::set_branch(std::string_view environment, std::string_view commit)
{
    auto* repo = ENVPIN_TRY(repository());
    const auto oid = ENVPIN_TRY(parse_oid(commit));
    const auto name = branch_ref(environment);
    git_reference* raw = nullptr;
    errno = 0;
    if (const int code = git_reference_create(&raw, repo, name.c_str(), &oid, 1, "envpin snapshot"); code < 0) {
        // libgit2 reports an object it could not open as one that does not exist: the system's
        // own words say which it was.
        const int system = errno;
        auto error = git_failure(fmt::format("updating {} in {}", name, git_dir_.string()), code);
        if (system != 0 && system != ENOENT)
            error.message += fmt::format(" ({})", sys::errno_text(system));
        return std::unexpected(std::move(error));
    }
    Reference reference(raw);
    if (git_repository_head_unborn(repo) == 1)
        ENVPIN_GIT("pointing HEAD at the first environment", git_repository_set_head(repo, name.c_str()));
    return {};
}

Expected<std::optional<std::string>> History::branch(std::string_view environment)
{
    auto* repo = ENVPIN_TRY(repository());
    git_oid oid;
    const int code = git_reference_name_to_id(&oid, repo, branch_ref(environment).c_str());
    if (code == GIT_ENOTFOUND)
        return std::optional<std::string>();
    ENVPIN_GIT("reading a branch", code);
    return std::optional<std::string>(oid_hex(oid));
}

Expected<bool> History::delete_branch(std::string_view environment)
{
    auto* repo = ENVPIN_TRY(repository());
    const int code = git_reference_remove(repo, branch_ref(environment).c_str());
    if (code == GIT_ENOTFOUND)
        return false;
    ENVPIN_GIT(fmt::format("removing {} from {}", branch_ref(environment), git_dir_.string()), code);
    return true;
}

Expected<std::vector<std::pair<std::string, std::string>>> History::branches() const
{
    std::map<std::string, std::string> found;
    // packed-refs first: a loose ref file overrides its packed line.
    if (auto packed = sys::read_file(git_dir_ / "packed-refs")) {
        for (const auto line : std::views::split(std::string_view(*packed), '\n')) {
            const std::string_view text(line.begin(), line.end());
            constexpr std::string_view prefix = " refs/heads/";
            if (text.size() > GIT_OID_HEXSZ + prefix.size() && text.substr(GIT_OID_HEXSZ, prefix.size()) == prefix)
                found[std::string(text.substr(GIT_OID_HEXSZ + prefix.size()))] = std::string(text.substr(0, GIT_OID_HEXSZ));
        }
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(git_dir_ / "refs" / "heads", ec)) {
        if (!entry.is_regular_file(ec) || entry.path().extension() == ".lock")
            continue;
        const auto text = ENVPIN_TRY(sys::read_file(entry.path()));
        const auto id = std::string_view(text).substr(0, text.find_first_of("\n "));
        if (id.size() != GIT_OID_HEXSZ)
            return fail(ErrorCode::corrupt, "{} does not hold a commit id", entry.path().string());
        found[entry.path().filename().string()] = std::string(id);
    }
    if (ec && ec != std::errc::no_such_file_or_directory)
        return fail(ErrorCode::io, "cannot list {}: {}", (git_dir_ / "refs" / "heads").string(), ec.message());
    return std::vector<std::pair<std::string, std::string>>(found.begin(), found.end());
}

Expected<std::vector<LoggedCommit>> History::log(std::string_view commit_id)
{
    auto* repo = ENVPIN_TRY(repository());
    std::vector<LoggedCommit> commits;
    std::optional<std::string> next = std::string(commit_id);
    while (next) {
        const auto oid = ENVPIN_TRY(parse_oid(*next));
        git_commit* raw = nullptr;
        ENVPIN_GIT(fmt::format("reading commit {}", *next), git_commit_lookup(&raw, repo, &oid));
        Commit commit(raw);
        LoggedCommit logged{*next, std::nullopt, git_commit_message(commit.get()), static_cast<long long>(git_commit_time(commit.get()))};
        if (git_commit_parentcount(commit.get()) > 0)
            logged.parent = oid_hex(*git_commit_parent_id(commit.get(), 0));
        next = logged.parent;
        commits.push_back(std::move(logged));
        if (commits.size() > 10'000'000)
            return fail(ErrorCode::corrupt, "the history of {} does not end", commit_id);
    }
    return commits;
}

Expected<size_t> History::clear_stale_locks()
{
    size_t removed = 0;
    std::error_code ec;
    std::vector<std::filesystem::path> locks = {git_dir_ / "HEAD.lock"};
    for (const auto& entry : std::filesystem::directory_iterator(git_dir_ / "refs" / "heads", ec)) {
        if (entry.path().extension() == ".lock")
            locks.push_back(entry.path());
    }
    for (const auto& lock : locks)
        removed += std::filesystem::remove(lock, ec) ? 1 : 0;
    return removed;
}

}  // namespace envpin::store
