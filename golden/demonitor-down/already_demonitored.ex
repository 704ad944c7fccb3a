defmodule Golden.DemonitorDown.AlreadyDemonitored do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.delete(state, ref)}
  end

  def handle_info({:DOWN, monitor, :process, _pid, _reason} = _msg, state) do
    true = :erlang.demonitor(monitor)
    {:noreply, Map.delete(state, monitor)}
  end
end
