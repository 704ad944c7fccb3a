defmodule Golden.DemonitorDown.BoundMessage do
  use GenServer
  require Logger

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, ref, :process, _pid, _reason} = msg, state) do
    Process.demonitor(ref, [:flush])
    Logger.debug("down: #{inspect(msg)}")
    {:noreply, state}
  end

  def handle_info(other = {:DOWN, ref, _, _, _}, state) do
    Process.demonitor(ref, [:flush])
    Logger.debug("other: #{inspect(other)}")
    {:noreply, state}
  end
end
