defmodule Golden.BroadCatch.UnknownCall do
  alias Golden.BroadCatch.Worker

  def run(job) do
    try do
      Worker.perform(job)
    catch
      kind, reason -> {:error, {kind, reason}}
    end
  end
end
