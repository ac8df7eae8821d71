# shellcheck shell=bash disable=SC2154,SC2034,SC2015  # the harness defines work, src, jobs, REF_PID
# Sourced by tests/slurm/harness.sh: the scenarios, each a submit_NAME (writes its configs,
# submits its jobs, starts its uninterrupted reference runs) and a check_NAME (waits for the jobs
# and asserts on what they left). They use the harness's $work, $jobs, $src, fail, pass,
# reference, reference_wait, compare and job_out, and cluster.sh's job_wait, job_field and
# comp_records.

# One task on one core; the scripts' --gpus-per-task=1 stays (the test node has 4 GPUs).
SB=(--ntasks-per-node=1 --cpus-per-task=1)

# long_campaign K: $work/longK.toml, a campaign that takes at least 50 s × 2^K on one core here,
# and its uninterrupted reference run longK. The signal of a 1-minute job (Slurm sends it 10 to
# 40 s after the start with a 20 s lead, at its 30 s scheduling ticks) must come before the
# campaign ends. The network stage's cooling rate sets the length, from the speed of that stage
# in a short run: the fastest of its 100-step intervals (the thermo rows' atom-steps/s). Other
# load on the machine makes the campaign slower; should the machine run faster than calibrated
# after all, the scenarios try again with K + 1 (at most twice).
long_campaign() {
  local k=${1:-0} total rate
  [ -f "$work/long$k.toml" ] && return 0
  if [ -z "${LONG_SPS:-}" ]; then
    quench_config "$src" 192 1 >"$work/calibrate.toml"
    "$VITRUM" run "$work/calibrate.toml" -o "$work/calibrate" -q --max-steps 1800 >/dev/null 2>&1
    LONG_SPS=$(awk -F, 'NR > 1 && $NF == "\"network\"" && $1 > 900 && $(NF - 1) > m { m = $(NF - 1) }
      END { printf "%d", m / 192 }' "$work/calibrate/thermo.csv")
    [ -n "$LONG_SPS" ] && [ "$LONG_SPS" -gt 0 ] || { fail "calibration run failed"; return 1; }
  fi
  total=$((LONG_SPS * 50 * (1 << k)))
  # Other stages: 1712 steps; network: 3800 -> 2400 K in 1.6 fs steps.
  rate=$(awk -v s="$total" 'BEGIN { n = s - 1712; if (n < 500) n = 500; printf "%.6g", 1400 / (n * 0.0016) }')
  quench_config "$src" 192 1 "$rate" >"$work/long$k.toml"
  echo "calibration: up to $LONG_SPS steps/s in the network stage; long campaign $k of" \
    "$(campaign_steps "$work/long$k.toml") steps (network cooling at $rate K/ps)"
  reference "long$k" "$work/long$k.toml"
}

# too_fast NAME TRY: says that the campaign ended in the first job; true when another try is left.
too_fast() {
  [ "$2" -lt 2 ] || return 1
  echo "note [$1]: campaign $2 ended inside the first 1-minute job (the machine ran faster than" \
    "calibrated): again with one twice as long"
}

# ---------------------------------------------------------------- time limit, requeue
submit_timelimit() {
  TL_TRY=0
  timelimit_submit
}

timelimit_submit() {
  long_campaign "$TL_TRY" || return 1
  local d=$work/timelimit$TL_TRY
  mkdir -p "$d"
  TL_ID=$(sbatch --parsable --chdir="$d" --time=1 "${SB[@]}" "$jobs/vitrum-job.sbatch" \
    "$work/long$TL_TRY.toml" out) || return 1
}

check_timelimit() {
  local id state out restarts n
  while :; do
    id=$TL_ID
    state=$(job_wait "$id" 900)
    out=$(job_out "$id")
    if [ "$state" != COMPLETED ]; then
      fail "job $id ended $state, expected COMPLETED:" "$(tail -n 15 "$out")"
      return
    fi
    restarts=$(job_field "$id" Restarts)
    [ "${restarts:-0}" -ge 1 ] && break
    if too_fast timelimit "$TL_TRY"; then
      TL_TRY=$((TL_TRY + 1))
      timelimit_submit || { fail "could not submit"; return; }
      continue
    fi
    fail "job $id was never requeued: the campaign ended inside the first 1-minute job"
    return
  done
  # Every stop of vitrum must be Slurm's SIGUSR1, each followed by the script's requeue (Slurm
  # may requeue a job on its own too, after a failed launch: Restarts is at least that count).
  n=$(grep -c '^stopped by SIGUSR1 after campaign step' "$out")
  if [ "$n" -lt 1 ] || [ "$n" -ne "$(grep -c '^stopped by' "$out")" ] ||
    [ "$n" -ne "$(grep -c '^checkpointed: requeueing job' "$out")" ] || [ "$restarts" -lt "$n" ]; then
    fail "job $id was requeued $restarts time(s) but vitrum was stopped by Slurm's SIGUSR1" \
      "$n time(s):" "$(grep -E '^stopped by|SIGUSR1|SIGTERM|exited with|requeueing' "$out")"
    return
  fi
  [ "$(grep -c 'forces at the checkpoint reproduced bit for bit' "$out")" -eq "$n" ] ||
    { fail "not all of $n restarts reproduced the forces bit for bit"; return; }
  comp_check "$id" "$restarts" 75:0 COMPLETED 0:0 || return
  grep -q '^campaign complete' "$out" || { fail "no 'campaign complete' in $out"; return; }
  reference_wait "long$TL_TRY" || return
  compare exact "$work/timelimit$TL_TRY/out" "$work/ref/long$TL_TRY" glass.xyz ||
    { fail "not the uninterrupted run"; return; }
  pass "job $id: $restarts time limit(s) -> SIGUSR1 -> checkpoint, exit 75 -> requeue; final state bit for bit"
}

# comp_check ID RUNS_REQUEUED DERIVED_OF_REQUEUED FINAL_STATE FINAL_EXIT: the job-completion log
# holds one record per run of job ID: RUNS_REQUEUED requeued runs (JobState=PENDING) whose
# steps exited with DERIVED_OF_REQUEUED, then the final record.
comp_check() {
  local id=$1 n=$2 derived=$3 state=$4 code=$5 recs
  recs=$(comp_records "$id")
  local got_n got_state got_code
  got_n=$(grep -c "JobState=PENDING .*DerivedExitCode=$derived " <<<"$recs")
  got_state=$(tail -n 1 <<<"$recs" | sed -n 's/.* JobState=\([A-Z_]*\) .*/\1/p')
  got_code=$(tail -n 1 <<<"$recs" | sed -n 's/.* ExitCode=\([0-9:]*\) .*/\1/p')
  if [ "$got_n" -ne "$n" ] || [ "$got_state" != "$state" ] || [ "$got_code" != "$code" ]; then
    fail "job $id: completion log has $got_n requeued run(s) with step exit $derived (expected" \
      "$n), final $got_state $got_code (expected $state $code):" "$recs"
    return 1
  fi
}

# ---------------------------------------------------------------- dependency chain
submit_chain() {
  CH_TRY=0
  chain_submit
}

chain_submit() {
  long_campaign "$CH_TRY" || return 1
  local d=$work/chain$CH_TRY
  mkdir -p "$d"
  (cd "$d" && bash "$jobs/vitrum-chain.sh" "$work/long$CH_TRY.toml" out 6 --chdir="$d" \
    --time=1 "${SB[@]}") >"$d/submit.log" 2>&1 || { cat "$d/submit.log" >&2; return 1; }
}

check_chain() {
  local rc
  while :; do
    chain_check_once
    rc=$?
    [ "$rc" -eq 2 ] || return 0
    CH_TRY=$((CH_TRY + 1))
    chain_submit || { fail "could not submit"; return; }
  done
}

# Returns 2 when the campaign ended in the first job and another try is left.
chain_check_once() {
  local d=$work/chain$CH_TRY ids=() id state k=0 ran=0 done_at=0 out
  mapfile -t ids <"$d/out/chain.jobs"
  [ ${#ids[@]} -eq 6 ] || { fail "chain.jobs lists ${#ids[@]} jobs, expected 6"; return; }
  for id in "${ids[@]}"; do
    k=$((k + 1))
    state=$(job_wait "$id" 900)
    if [ "$done_at" -gt 0 ]; then
      [ "$state" = CANCELLED ] || { fail "job $k ($id) after the completing job ended $state"; return; }
      continue
    fi
    out=$(job_out "$id")
    ran=$((ran + 1))
    [ "$state" = COMPLETED ] || { fail "chain job $k ($id) ended $state:" "$(tail -n 15 "$out")"; return; }
    [ "$(job_field "$id" Restarts)" = 0 ] || { fail "chain job $k ($id) was requeued"; return; }
    if grep -q '^campaign complete' "$out"; then
      done_at=$k
      comp_check "$id" 0 - COMPLETED 0:0 || return
    else
      grep -q '^stopped by SIGUSR1 after' "$out" ||
        { fail "chain job $k ($id) ended without Slurm's SIGUSR1 stop:" "$(tail -n 8 "$out")"; return; }
      grep -q 'the next job of the chain continues' "$out" || { fail "job $k: no hand-over"; return; }
      [ "$(comp_field "$id" DerivedExitCode)" = 75:0 ] || { fail "job $k: step exit not 75"; return; }
    fi
    [ "$k" -eq 1 ] || grep -q 'forces at the checkpoint reproduced bit for bit' "$out" ||
      { fail "chain job $k did not continue bit for bit"; return; }
  done
  if [ "$done_at" -eq 1 ] && too_fast chain "$CH_TRY"; then
    return 2
  fi
  [ "$done_at" -ge 2 ] || { fail "the campaign ended in job $done_at of the chain, expected a later one"; return; }
  reference_wait "long$CH_TRY" || return
  compare exact "$d/out" "$work/ref/long$CH_TRY" glass.xyz || { fail "not the uninterrupted run"; return; }
  pass "$ran chained jobs (afterany), each stopped by SIGUSR1, job $done_at completed and" \
    "cancelled $((6 - done_at)); final state bit for bit"
}

# ---------------------------------------------------------------- job array + gather
ARRAY_RATES=(700 1400 2800) # network-stage cooling rates (K/ps) of the array tasks

submit_array() {
  local d=$work/array k
  mkdir -p "$d"
  for k in 0 1 2; do
    quench_config "$src" 192 0.25 "${ARRAY_RATES[$k]}" >"$d/rate_$k.toml"
    reference "rate_$k" "$d/rate_$k.toml"
  done
  ARRAY_ID=$(VITRUM_ARGS="--max-steps 400" sbatch --parsable --array=0-2 --chdir="$d" --time=5 \
    "${SB[@]}" "$jobs/vitrum-job.sbatch" 'rate_%a.toml' 'out_%a') || return 1
  GATHER_ID=$(sbatch --parsable --dependency="afterok:$ARRAY_ID" --chdir="$d" \
    "$jobs/vitrum-gather.sbatch" summary.csv out_0 out_1 out_2) || return 1
}

check_array() {
  local d=$work/array k id state out restarts steps n
  for k in 0 1 2; do
    id=${ARRAY_ID}_$k
    state=$(job_wait "$id" 900)
    out=$(job_out "$id")
    [ "$state" = COMPLETED ] || { fail "array task $id ended $state:" "$(tail -n 15 "$out")"; return; }
    steps=$(campaign_steps "$d/rate_$k.toml")
    restarts=$(job_field "$id" Restarts)
    # --max-steps 400: a campaign of S steps takes ceil(S / 400) runs, each requeued by the
    # script (Slurm may add requeues of its own after a failed launch).
    n=$(((steps + 399) / 400 - 1))
    [ "$(grep -c '^stopped by the step budget' "$out")" -eq "$n" ] &&
      [ "$(grep -c '^checkpointed: requeueing job' "$out")" -eq "$n" ] && [ "$restarts" -ge "$n" ] ||
      { fail "task $id ($steps steps) was requeued $restarts times, expected $n stops by" \
        "--max-steps and requeues:" "$(grep -E '^20|^stopped by|SIG|requeu' "$out")"; return; }
    reference_wait "rate_$k" || return
    compare exact "$d/out_$k" "$work/ref/rate_$k" glass.xyz || { fail "task $k differs"; return; }
  done
  state=$(job_wait "$GATHER_ID" 300)
  [ "$state" = COMPLETED ] || { fail "gather job ended $state:" "$(cat "$(job_out "$GATHER_ID")")"; return; }
  # One row per run, its values the uninterrupted run's last thermo row.
  "$PY" - "$d/summary.csv" "$work/ref" <<'PY' || { fail "the gathered table is wrong"; return; }
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["run"] for r in rows] == ["out_0", "out_1", "out_2"], rows
for k, r in enumerate(rows):
    ref = list(csv.DictReader(open(f"{sys.argv[2]}/rate_{k}/thermo.csv")))[-1]
    for key in ("step", "temperature_K", "etotal_eV", "density_g_cm3", "stage"):
        assert r[key] == ref[key], (k, key, r[key], ref[key])
    assert r["complete"] == "yes", r
print(f"{sys.argv[1]}: {len(rows)} rows, each the run's final thermo row")
PY
  pass "array of 3 cooling rates, each requeued on its own by --max-steps and bit for bit;" \
    "gather job (afterok) tabulated them"
}

# ---------------------------------------------------------------- MPI, another task count
submit_mpi() {
  local d=$work/mpi
  mkdir -p "$d"
  quench_config "$src" 192 0.1 | sed '/^final_structure = /a h5md = { every = 50 }' >"$d/m.toml"
  reference mpi4 "$d/m.toml" 4
  MPI_A=$(VITRUM_ARGS="--max-steps 200" VITRUM_MAX_REQUEUES=0 sbatch --parsable --chdir="$d" \
    --time=5 --ntasks-per-node=4 --cpus-per-task=1 "$jobs/vitrum-job.sbatch" \
    m.toml out) || return 1
  MPI_B=$(sbatch --parsable --dependency="afterany:$MPI_A" --chdir="$d" --time=5 \
    --ntasks-per-node=2 --cpus-per-task=1 "$jobs/vitrum-job.sbatch" m.toml out) ||
    return 1
}

check_mpi() {
  local d=$work/mpi state out_a out_b steps
  state=$(job_wait "$MPI_A" 900)
  out_a=$(job_out "$MPI_A")
  # VITRUM_MAX_REQUEUES=0: the checkpointed job ends with vitrum's 75 instead of requeueing.
  [ "$state" = FAILED ] && [ "$(comp_field "$MPI_A" ExitCode)" = 75:0 ] ||
    { fail "4-task job $MPI_A ended $state, expected FAILED with 75:" "$(tail -n 15 "$out_a")"; return; }
  grep -q 'domain decomposition: 2 x 2 x 1 ranks' "$out_a" || { fail "not 4 ranks:" "$(head -n 12 "$out_a")"; return; }
  grep -q '^stopped by the step budget (--max-steps 200) after campaign step 200 ' "$out_a" ||
    { fail "the 4-task job did not stop at step 200"; return; }
  state=$(job_wait "$MPI_B" 900)
  out_b=$(job_out "$MPI_B")
  [ "$state" = COMPLETED ] || { fail "2-task job $MPI_B ended $state:" "$(tail -n 15 "$out_b")"; return; }
  grep -q 'domain decomposition: 2 x 1 x 1 ranks' "$out_b" || { fail "not 2 ranks"; return; }
  grep -q 'restart: .* by 4 rank(s)): .*campaign step 200 of' "$out_b" ||
    { fail "the 2-task job did not continue the 4-rank checkpoint of step 200"; return; }
  reference_wait mpi4 || return
  steps=$(campaign_steps "$d/m.toml")
  compare close "$d/out" "$work/ref/mpi4" glass.xyz 1e-6 || { fail "final state"; return; }
  compare h5md "$d/out" "$work/ref/mpi4" 50 "$steps" 200 1e-6 || { fail "trajectory.h5"; return; }
  pass "4 tasks (srun) wrote H5MD and a checkpoint at step 200, 2 tasks continued to $steps"
}

# ---------------------------------------------------------------- failure paths
submit_failures() {
  local d=$work/failures
  mkdir -p "$d"
  # A misspelt key: the job must fail at once, with the message, and not requeue.
  quench_config "$src" 192 0.1 | sed '/^skin = /a timestep = 1.6' >"$d/bad.toml"
  BAD_ID=$(sbatch --parsable --chdir="$d" --time=5 "${SB[@]}" "$jobs/vitrum-job.sbatch" \
    bad.toml bad_out) || return 1
  { quench_config "$src" 192 0.25 700; printf '\n[checkpoint]\nevery_steps = 50\n'; } >"$d/kill.toml"
  reference kill "$d/kill.toml"
  # A job whose vitrum process is killed by SIGKILL (as by the OOM killer or a node failure)
  # once it has written a checkpoint mid-campaign, and a job cancelled by `scancel` (SIGTERM).
  KILL_ID=$(sbatch --parsable --chdir="$d" --time=5 "${SB[@]}" "$jobs/vitrum-job.sbatch" \
    kill.toml kill_out) || return 1
  CANCEL_ID=$(sbatch --parsable --chdir="$d" --time=5 "${SB[@]}" "$jobs/vitrum-job.sbatch" \
    kill.toml cancel_out) || return 1
  (
    exe=$(readlink -f "$VITRUM")
    until [ -f "$d/kill_out/checkpoint.h5" ]; do sleep 0.1; done
    for p in $(scontrol listpids "$KILL_ID" 2>/dev/null | awk 'NR > 1 { print $1 }'); do
      [ "$(readlink -f "/proc/$p/exe" 2>/dev/null)" = "$exe" ] && kill -KILL "$p" && echo "$p"
    done >"$d/killed"
  ) &
  REF_PID[kill_watch]=$!
  (
    until [ -f "$d/cancel_out/checkpoint.h5" ]; do sleep 0.1; done
    scancel "$CANCEL_ID" && touch "$d/cancelled"
  ) &
  REF_PID[cancel_watch]=$!
}

# resubmit_and_compare NAME OUTPUT STEP WHAT: submits kill.toml again on OUTPUT; the job must
# continue from the checkpoint of STEP and end equal to the uninterrupted run.
resubmit_and_compare() {
  local d=$work/failures id state out
  id=$(sbatch --parsable --chdir="$d" --time=5 "${SB[@]}" "$jobs/vitrum-job.sbatch" kill.toml "$2")
  state=$(job_wait "$id" 600)
  out=$(job_out "$id")
  [ "$state" = COMPLETED ] || { fail "$1: resubmission $id ended $state:" "$(tail -n 15 "$out")"; return 1; }
  grep -q "restart: .*campaign step $3 of .*reproduced bit for bit" "$out" ||
    { fail "$1: the resubmission did not continue from step $3:" "$(grep restart "$out")"; return 1; }
  reference_wait kill || return 1
  compare exact "$d/$2" "$work/ref/kill" glass.xyz || { fail "$1: resubmitted run differs"; return 1; }
  pass "$4; the next submission continued from step $3, bit for bit"
}

check_failures() {
  local d=$work/failures state out step rows
  state=$(job_wait "$BAD_ID" 300)
  out=$(job_out "$BAD_ID")
  [ "$state" = FAILED ] && [ "$(job_field "$BAD_ID" ExitCode)" = 1:0 ] &&
    [ "$(job_field "$BAD_ID" Restarts)" = 0 ] ||
    { fail "bad config: job $BAD_ID ended $state $(job_field "$BAD_ID" ExitCode), restarts" \
      "$(job_field "$BAD_ID" Restarts); expected FAILED 1:0, no restart"; return; }
  grep -q 'bad.toml.*timestep' "$out" && grep -q '^error (status 1): not continuing' "$out" ||
    { fail "bad config: the job output does not name the key:" "$(cat "$out")"; return; }
  pass "bad config: job FAILED with exit 1 in $(job_field "$BAD_ID" RunTime), the error in its output, no requeue"

  # The job whose vitrum was killed by SIGKILL once it had written a checkpoint.
  state=$(job_wait "$KILL_ID" 300)
  out=$(job_out "$KILL_ID")
  [ -s "$d/killed" ] || { fail "SIGKILL: no vitrum process of job $KILL_ID was killed"; return; }
  [ "$state" = FAILED ] && [ "$(job_field "$KILL_ID" Restarts)" = 0 ] &&
    grep -q '^error (status [0-9]*): not continuing' "$out" ||
    { fail "SIGKILL: job $KILL_ID ended $state (expected FAILED, no requeue):" "$(tail -n 8 "$out")"; return; }
  local code
  code=$(sed -n 's/^error (status \([0-9]*\)): not continuing.*/\1/p' "$out")
  step=$(compare step "$d/kill_out/checkpoint.h5") || { fail "the checkpoint left by SIGKILL is unusable"; return; }
  rows=$(($(wc -l <"$d/kill_out/thermo.csv") - 1))
  resubmit_and_compare SIGKILL kill_out "$step" \
    "SIGKILL of vitrum: job FAILED (status $code), no requeue, checkpoint of step $step usable (thermo.csv had $rows rows)" || return

  # The job cancelled by scancel: vitrum checkpoints on SIGTERM, the job is not requeued.
  state=$(job_wait "$CANCEL_ID" 300)
  out=$(job_out "$CANCEL_ID")
  [ -f "$d/cancelled" ] || { fail "scancel: job $CANCEL_ID was not cancelled"; return; }
  [ "$state" = CANCELLED ] && [ "$(job_field "$CANCEL_ID" Restarts)" = 0 ] &&
    grep -q '^stopped by SIGTERM after campaign step' "$out" &&
    grep -q 'the job was cancelled: not requeueing' "$out" ||
    { fail "scancel: job $CANCEL_ID ended $state after $(job_field "$CANCEL_ID" Restarts) requeue(s), expected CANCELLED with a checkpoint and no requeue:" "$(grep -v '^ ' "$out" | tail -n 12)"; return; }
  step=$(compare step "$d/cancel_out/checkpoint.h5") || { fail "scancel: no usable checkpoint"; return; }
  resubmit_and_compare scancel cancel_out "$step" \
    "scancel: vitrum checkpointed on SIGTERM at step $step, job CANCELLED, not requeued"
}
