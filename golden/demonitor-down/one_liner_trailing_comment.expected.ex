defmodule Golden.DemonitorDown.OneLinerTrailingComment do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, ref, :process, _pid, _reason}, s) do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.put(s, :k, 1)} # the comment stays here
  end

  def handle_info(_msg, state), do: {:noreply, state}
end
