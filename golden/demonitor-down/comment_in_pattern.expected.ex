defmodule Golden.DemonitorDown.CommentInPattern do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info(
        {
          :DOWN,
          # the monitor ref
          ref,
          :process,
          pid,
          _reason
        },
        state
      ) do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.delete(state, pid)}
  end
end
