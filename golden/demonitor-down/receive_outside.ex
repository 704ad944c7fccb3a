defmodule Golden.DemonitorDown.ReceiveOutside do
  # A :DOWN in a plain receive is consumed on the spot: not this rule's business.
  def await(pid) do
    ref = Process.monitor(pid)

    receive do
      {:DOWN, ^ref, :process, ^pid, reason} -> {:down, reason}
    after
      5_000 -> :timeout
    end
  end

  def handle_info({:other, {:DOWN, ref, :process, pid, reason}}, state) do
    {:noreply, Map.put(state, ref, {pid, reason})}
  end
end
