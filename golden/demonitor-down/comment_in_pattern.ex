defmodule Golden.DemonitorDown.CommentInPattern do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info(
        {
          :DOWN,
          # the monitor ref
          _ref,
          :process,
          pid,
          _reason
        },
        state
      ) do
    {:noreply, Map.delete(state, pid)}
  end
end
