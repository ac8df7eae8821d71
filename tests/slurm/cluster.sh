# shellcheck shell=bash
# Sourced by the Slurm harness: a private one-node Slurm cluster (munged, slurmctld, slurmd) in a
# directory of its own. Nothing outside that directory is written or read (no /etc/slurm, no
# /etc/munge, no system services); clients find it through SLURM_CONF.
#
#   cluster_start DIR   generates the key and the configuration in DIR, starts the daemons and
#                       waits until the node is idle; exports SLURM_CONF
#   cluster_stop        stops every daemon cluster_start started (call it from a trap)
#   job_wait ID [S]     waits (at most S seconds, default 600) until job ID has ended for good
#   job_field ID KEY    one field of `scontrol show job ID` (JobState, ExitCode, Restarts, ...)
#   comp_records ID     job ID's records in the job-completion log (jobcomp/filetxt), one per run
#   comp_field ID KEY   the field KEY of the last of them

# A TCP port nobody listens on (the kernel picks one; a race with another program is possible
# but unlikely in the seconds until the daemon binds it).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cluster_start() {
  CLUSTER_DIR=$1
  local d=$CLUSTER_DIR
  mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log"
  chmod 700 "$d/munge"
  # A private munge key and socket.
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$d/munge/munge.key"
  munged --force --socket="$d/munge/munge.socket" --key-file="$d/munge/munge.key" \
    --pid-file="$d/munge/munged.pid" --log-file="$d/log/munged.log" \
    --seed-file="$d/munge/munged.seed" || { echo "munged did not start" >&2; return 1; }
  local host cpus mem user ctld_port slurmd_port
  host=$(hostname -s)
  cpus=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
  # The node has this machine's cores, but at least 4: Slurm refuses a job of 4 tasks per node on
  # fewer CPUs even with --overcommit, and the job script asks for --ntasks-per-node. On a
  # smaller machine slurmd is told to take the configured count (config_overrides) and the tasks
  # share the cores.
  local overrides=""
  if [ "$cpus" -lt 4 ]; then
    cpus=4
    overrides="SlurmdParameters=config_overrides"
  fi
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  user=$(id -un)
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  cat >"$d/slurm.conf" <<CONF
ClusterName=vitrumtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket,cred_expire=5
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool/%n
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=pmix
GresTypes=gpu
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$d/log/jobcomp.txt
ReturnToService=2
InactiveLimit=0
MinJobAge=600
KillWait=10
MessageTimeout=20
PlugStackConfig=$d/plugstack.conf
$overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:4 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  : >"$d/plugstack.conf"
  # Four GPUs without device files, so that the job scripts' --gpus-per-task lines are scheduled
  # as on a GPU node (vitrum runs on the CPU here).
  touch "$d"/gpu0 "$d"/gpu1 "$d"/gpu2 "$d"/gpu3
  echo "NodeName=$host Name=gpu File=$d/gpu[0-3]" >"$d/gres.conf"
  export SLURM_CONF=$d/slurm.conf
  slurmctld -f "$SLURM_CONF" || { echo "slurmctld did not start" >&2; return 1; }
  slurmd -f "$SLURM_CONF" || { echo "slurmd did not start" >&2; return 1; }
  local k
  for ((k = 0; k < 60; ++k)); do
    if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
      echo "slurm: one-node cluster up ($host, $cpus CPUs, ports $ctld_port/$slurmd_port) in $d"
      return 0
    fi
    sleep 0.5
  done
  echo "slurm: the node did not become idle in 30 s" >&2
  sinfo -N -l >&2 || true
  tail -n 20 "$d/log/slurmctld.log" "$d/log/slurmd.log" >&2 || true
  return 1
}

# Stops the daemons by their pid files (TERM, then KILL after 10 s).
cluster_stop() {
  [ -n "${CLUSTER_DIR:-}" ] || return 0
  local d=$CLUSTER_DIR f pid k
  if [ -n "${SLURM_CONF:-}" ]; then
    # Cancel what still runs and let slurmd end the job steps before it stops itself.
    scancel --quiet --user="$(id -un)" 2>/dev/null
    for ((k = 0; k < 40; ++k)); do
      [ -z "$(squeue -h -t running,completing -o %i 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for f in "$d/slurmd.pid" "$d/slurmctld.pid" "$d/munge/munged.pid"; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null || continue
    for ((k = 0; k < 100; ++k)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

job_field() {
  scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# Waits until job $1 is in a final state that no requeue follows (COMPLETED, FAILED, CANCELLED,
# TIMEOUT, ...). A requeued job passes through PENDING again and is waited for.
job_wait() {
  local id=$1 limit=${2:-600} t=0 state
  while :; do
    state=$(job_field "$id" JobState)
    case $state in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
        echo "$state"
        return 0
        ;;
    esac
    if [ "$t" -ge "$limit" ]; then
      echo "TIMEOUT_WAITING($state)"
      return 1
    fi
    sleep 1
    t=$((t + 1))
  done
}

# The job-completion log's records of job $1, one per run (a requeued run is recorded with
# JobState=PENDING).
comp_records() {
  grep "^JobId=$1 " "$CLUSTER_DIR/log/jobcomp.txt" 2>/dev/null
}

comp_field() {
  comp_records "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
