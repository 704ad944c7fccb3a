defmodule Golden.DemonitorDown.Comments do
  use GenServer

  def init(state), do: {:ok, state}

  # A watched process went away.
  def handle_info(
        # the monitor message
        {:DOWN, ref, :process, pid, reason},
        state
      ) do
    Process.demonitor(ref, [:flush])
    # forget it
    state = Map.delete(state, ref) # by ref

    # and log it
    {:noreply, Map.put(state, :last, {pid, reason})}
  end
end
