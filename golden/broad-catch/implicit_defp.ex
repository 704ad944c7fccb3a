defmodule Golden.BroadCatch.ImplicitDefp do
  def run(task), do: await(task)

  defp await(task) do
    Task.await(task, 5_000)
  catch
    _, _ -> :timeout
  end
end
