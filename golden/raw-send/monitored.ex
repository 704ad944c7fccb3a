defmodule Golden.RawSend.Monitored do
  # The hand-rolled call monitors its target: a dead server fails at once.
  def fetch(server, key) do
    ref = Process.monitor(server)
    send(server, {:fetch, self(), ref, key})

    receive do
      {^ref, value} ->
        Process.demonitor(ref, [:flush])
        {:ok, value}

      {:DOWN, ^ref, :process, _pid, reason} ->
        {:error, reason}
    after
      5_000 ->
        Process.demonitor(ref, [:flush])
        {:error, :timeout}
    end
  end

  def fetch_via_helper(server, key) do
    send(server, {:fetch, self(), key})
    await(server)
  end

  defp await(server) do
    ref = Process.monitor(server)

    receive do
      {:fetched, value} -> value
      {:DOWN, ^ref, _, _, _} -> nil
    after
      5_000 -> nil
    end
  end
end
