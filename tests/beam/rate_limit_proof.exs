# Real-BEAM proof for atomic-rate-limit, driven by tests/test_beam_rate_limit.py.
#
# For each case the test loads the golden input (renamed `Original.<Module>`) and the golden
# expected output, then calls `RateLimitProof.check(case)`, which prints one line per fact:
#
#   FACT <case> <name> <value>
#
# and the Python side asserts on them:
#   seq_orig / seq_fixed    results of the same sequence of calls (must be identical)
#   seq_allowed_*, seq_first_denied_*  how many of them were allowed, the first denial
#   state_orig / state_fixed table contents after that sequence
#   allowed_per_round       distinct counts of allowed calls over the storm rounds
#   max_seen_fixed          the highest count a concurrent reader saw (fixed code)
#   max_seen_orig           the same for the original code
#   final_fixed             the stored count after the storm (fixed code)
defmodule RateLimitProof do
  @callers 200
  @rounds 50
  @readers 2
  # Pressure phase: a few processes keep calling a key that is already at the limit.
  @hammerers 8
  @hammer_calls 2_000
  # The original stops at its first over-limit observation (usually the first run); the
  # fixed code runs a fixed number of pressure runs.
  @pressure_runs_orig 20
  @pressure_runs_fixed 4

  def check(c) do
    sequence(c)
    storm(c, :fixed, c.fixed)
    storm(c, :orig, c.orig)
  end

  # -- 1. the same calls, one after another, give the same results --------------------
  defp sequence(c) do
    for {impl, mod} <- [orig: c.orig, fixed: c.fixed] do
      tab = c.new_table.(mod)
      plan = [{{:seq, :a}, c.limit + 5}, {{:seq, :b}, 3}]
      results = for {key, n} <- plan, _ <- 1..n, do: c.seq_hit.(mod, tab, key)
      fact(c, "seq_#{impl}", results)
      fact(c, "seq_allowed_#{impl}", Enum.count(results, &c.allowed?.(&1)))
      fact(c, "seq_first_denied_#{impl}", Enum.find(results, &(not c.allowed?.(&1))))
      fact(c, "state_#{impl}", tab |> :ets.tab2list() |> Enum.sort())
    end
  end

  # -- 2 and 3. 200 concurrent callers per round, readers watching the counter ----------
  defp storm(c, impl, mod) do
    tab = c.new_table.(mod)
    stop_early = impl == :orig

    {allowed, seen} =
      Enum.reduce_while(1..@rounds, {[], 0}, fn round, {allowed, seen} ->
        key = {:storm, round}
        {n, max} = round(c, mod, tab, key)
        acc = {[n | allowed], max(seen, max)}
        if stop_early and max > c.limit, do: {:halt, acc}, else: {:cont, acc}
      end)

    seen =
      if stop_early and seen > c.limit do
        seen
      else
        pressure(c, mod, tab, seen, stop_early)
      end

    if impl == :fixed do
      fact(c, "allowed_per_round", allowed |> Enum.uniq() |> Enum.sort())
      fact(c, "rounds", length(allowed))
      fact(c, "final_fixed", c.count.(tab, {:storm, 1}))
    end

    fact(c, "max_seen_#{impl}", seen)
  end

  defp round(c, mod, tab, key) do
    parent = self()
    readers = start_readers(c, tab, key)

    callers =
      for _ <- 1..@callers do
        spawn_link(fn ->
          receive do
            :go -> send(parent, {:result, self(), c.hit.(mod, tab, key)})
          end
        end)
      end

    Enum.each(callers, &send(&1, :go))
    results = for pid <- callers, do: receive(do: ({:result, ^pid, r} -> r))
    {Enum.count(results, &c.allowed?.(&1)), stop_readers(readers)}
  end

  defp pressure(c, mod, tab, seen, stop_early) do
    runs = if stop_early, do: @pressure_runs_orig, else: @pressure_runs_fixed

    Enum.reduce_while(1..runs, seen, fn run, seen ->
      key = {:pressure, run}
      for _ <- 1..c.limit, do: c.hit.(mod, tab, key)
      parent = self()
      readers = start_readers(c, tab, key)

      hammerers =
        for _ <- 1..@hammerers do
          spawn_link(fn ->
            for _ <- 1..@hammer_calls, do: c.hit.(mod, tab, key)
            send(parent, {:hammered, self()})
          end)
        end

      for pid <- hammerers, do: receive(do: ({:hammered, ^pid} -> :ok))
      seen = max(seen, stop_readers(readers))
      if stop_early and seen > c.limit, do: {:halt, seen}, else: {:cont, seen}
    end)
  end

  defp start_readers(c, tab, key) do
    for _ <- 1..@readers, do: spawn_link(fn -> read_loop(c, tab, key, 0) end)
  end

  defp stop_readers(readers) do
    for pid <- readers do
      send(pid, {:stop, self()})
      receive(do: ({:max, ^pid, max} -> max))
    end
    |> Enum.max()
  end

  defp read_loop(c, tab, key, max) do
    receive do
      {:stop, from} -> send(from, {:max, self(), max})
    after
      0 -> read_loop(c, tab, key, max(max, c.count.(tab, key)))
    end
  end

  defp fact(c, name, value) do
    IO.puts("FACT\t#{c.name}\t#{name}\t#{inspect(value, limit: :infinity, printable_limit: :infinity, charlists: :as_lists)}")
  end
end
