defmodule Golden.DemonitorDown.BoundMessage do
  use GenServer
  require Logger

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, _ref, :process, _pid, _reason} = msg, state) do
    Logger.debug("down: #{inspect(msg)}")
    {:noreply, state}
  end

  def handle_info(other = {:DOWN, _, _, _, _}, state) do
    Logger.debug("other: #{inspect(other)}")
    {:noreply, state}
  end
end
