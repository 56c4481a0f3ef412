#pragma once
// `schism nightly` and `schism merge`: a matrix of runs (electors x bugs x
// nemesis mixes x seeds) under a time budget, some at once, summed up in one
// directory a CI system and a person can read: summary.json, junit.xml (one
// suite per matrix cell) and index.html, with the replay command of every
// run that failed.
//
// Each run is a child `schism run` (its own process, so runs at once share
// nothing but the store), its output kept in logs/. `--shard I/N` runs the
// I-th of N fixed slices of the matrix, so N machines (GNU parallel, a
// Kubernetes Indexed Job) split a night, and `schism merge` joins their
// directories into one.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace schism::harness {

// What to run: every combination, in this order (elector, then bug, then
// nemesis mix, then seed).
struct NightlyPlan {
  std::vector<std::string> electors = {"raft"};  // built-in electors or profiles
  std::vector<std::string> bugs = {"none"};
  std::vector<std::string> nemeses = {"partition,kill"};  // each one mix, as --nemesis takes it
  std::vector<std::uint64_t> seeds = {1, 2, 3};
  double time_s = 30;
  std::size_t nodes = 5;
};

// One run of the matrix; `index` is its place in the whole matrix.
struct NightlyCell {
  std::size_t index = 0;
  std::string elector;
  std::string bug;  // "none" for the correct build
  std::string nemesis;
  std::uint64_t seed = 0;

  // The JUnit suite of its matrix cell, e.g. "raft bug=double-vote nemesis=partition,kill".
  std::string Suite() const;
  // The run store's test name, e.g. "raft-double-vote".
  std::string Test() const;
};

// "1-20", "1,4,9", "7" (and mixes, "1-3,9"). Throws UsageError naming the
// part that is not one.
std::vector<std::uint64_t> ParseSeeds(const std::string& text);

// A length of time: "90" or "90s", "10m", "2h". Throws UsageError.
double ParseDuration(const std::string& text);

// "I/N" of --shard. Throws UsageError unless 1 <= I <= N.
std::pair<std::size_t, std::size_t> ParseShard(const std::string& text);

// A plan file: {"electors": [...], "bugs": [...], "nemeses": [...], "seeds":
// "1-20" (or a list), "time": 30, "nodes": 5}; every key optional (the
// defaults above). Throws UsageError naming the file and the key.
NightlyPlan ReadPlan(const std::filesystem::path& file);

// Whether `name` is a profile (a real server, --profile) rather than a
// built-in elector.
bool IsProfileName(const std::string& name);

// Every combination of `plan`. An elector is a built-in one (--elector) or a
// profile (--profile: a real server, whose only bug is "none"): another name,
// or a bug no elector of the plan has, is a UsageError; a bug only some of
// them have is left out for the others, each such pair named in `left_out`
// ("zab has no bug double-vote").
std::vector<NightlyCell> Matrix(const NightlyPlan& plan, std::vector<std::string>* left_out);

// The cells of slice `index` (1-based) of `count`: every count-th cell from
// the index-th on. Throws UsageError unless 1 <= index <= count.
std::vector<NightlyCell> Shard(const std::vector<NightlyCell>& cells, std::size_t index,
                               std::size_t count);

// How one cell went.
struct NightlyRun {
  NightlyCell cell;
  // "valid", "invalid", "unknown", "error" (the run did not get to a
  // verdict) or "not run" (the budget ran out first).
  std::string status;
  std::string run_dir;  // empty when there is none
  std::string reason;   // for a run not valid: its first checker not valid, or what went wrong
  nlohmann::json kpis;  // the kpis checker's details, or null
  int exit_code = 0;
  double wall_s = 0;
};

// The exit code of a night: 1 if any run is invalid; else 70 if any run
// ended in an error; else 2 if any is unknown or was not run; else 0.
int WorstExit(const std::vector<NightlyRun>& runs);

// Each matrix cell's KPIs, the mean over its runs that have them:
// {suite: {"election_p50_s", "election_p95_s", "leaderless_pct",
// "changes_per_min", "runs"}} (the elections' when there were any).
nlohmann::json CellKpis(const std::vector<NightlyRun>& runs);

// An earlier night of the same store: its directory name and CellKpis.
struct PastNight {
  std::string name;
  nlohmann::json cells;
};

// Each cell's KPIs now against the nights before (`past`, oldest first):
// {suite: {kpi: {"nights", "values" (the past ones), "now", "baseline" (the
// median of the last 7 nights that had the cell), "regressed"}}}. Every KPI
// is worse when higher; a regression is a value over 1.5 x the baseline and
// over it by more than the KPI's floor (0.1 s for the election p50, 0.2 s
// for its p95, 2 points of leaderless time, 2 leader changes a minute).
nlohmann::json Trends(const nlohmann::json& cells, const std::vector<PastNight>& past);
// One line per regression of `trends`, e.g. "raft bug=none nemesis=partition:
// election_p95_s now 0.900, against 0.400 (the median of the last 3 nights)".
std::vector<std::string> Regressions(const nlohmann::json& trends);

// summary.json: {"title", "exit_code", "runs": [...], "cells": CellKpis,
// "trends"} (and the runs back); a night adds "started" (UTC) and, for a
// shard, "shard" ("I/N").
nlohmann::json SummaryJson(const std::string& title, const std::vector<NightlyRun>& runs,
                           const nlohmann::json& trends = nlohmann::json::object());
std::vector<NightlyRun> RunsFromSummary(const nlohmann::json& summary, const std::string& where);
// junit.xml: one testsuite per matrix cell, one testcase per seed; an invalid
// run is a failure, an unknown run or an error an error, a run not run skipped.
std::string NightlyJunit(const std::string& title, const std::vector<NightlyRun>& runs);
// index.html: each cell's KPI trends (small charts, regressions marked),
// then every run with its verdict, KPIs, report link and, for a failed run,
// its replay command. Run dirs are linked relative to `dir`.
std::string NightlyIndex(const std::string& title, const std::vector<NightlyRun>& runs,
                         const std::filesystem::path& dir,
                         const nlohmann::json& trends = nlohmann::json::object());

struct NightlySettings {
  NightlyPlan plan;
  double budget_s = 3600;
  std::size_t jobs = 1;
  std::filesystem::path store = "store";
  std::filesystem::path schism;  // the schism binary the runs are started with
  std::optional<std::pair<std::size_t, std::size_t>> shard;  // (index, count)
};

// Runs the night into a new <store>/nightly/<UTC date>[-k]/, printing a line
// per run as it ends and the directory at the end. Returns WorstExit.
int Nightly(const NightlySettings& settings, std::ostream& out);

// Joins nightly directories (a shard's each) into `out_dir`: their runs in
// matrix order. Throws UsageError for a directory without summary.json.
int Merge(const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& out_dir,
          std::ostream& out);

}  // namespace schism::harness
