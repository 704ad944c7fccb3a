defmodule Golden.DemonitorDown.NameClash do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, down_ref, :process, pid, _reason}, %{ref: ref} = state) do
    Process.demonitor(down_ref, [:flush])
    {:noreply, %{state | ref: ref, pids: List.delete(state.pids, pid)}}
  end

  def handle_info({:DOWN, down_ref, :process, ref, _reason}, state) do
    Process.demonitor(down_ref, [:flush])
    {:noreply, Map.delete(state, ref)}
  end
end
