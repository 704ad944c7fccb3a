defmodule Golden.DemonitorDown.IgnoredRefUsed do
  use GenServer

  def init(state), do: {:ok, state}

  # `_ref` is read in the body: renaming it is not this rule's call, so no fix.
  def handle_info({:DOWN, _ref, :process, _pid, _reason}, state) do
    {:noreply, Map.delete(state, _ref)}
  end
end
