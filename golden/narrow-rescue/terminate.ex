defmodule Golden.NarrowRescue.Terminate do
  use GenServer

  def init(state), do: {:ok, state}

  def terminate(_reason, state) do
    File.rm!(Map.fetch!(state, :tmp_path))
  rescue
    _ -> :ok
  end
end
