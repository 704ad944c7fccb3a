defmodule Golden.DemonitorDown.Crlf do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, ref, :process, pid, _reason}, state) do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.delete(state, pid)}
  end

  def handle_info({:DOWN, ref, _, _, _}, state) do
    Process.demonitor(ref, [:flush])
    {:noreply, state}
  end
end
